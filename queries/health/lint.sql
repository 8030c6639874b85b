-- health/lint: open action items that fail the acceptance rule (exactly one owner, a service, a target date, a reason) or have a vague title, and items whose status label contradicts the tracker; one row per item and failed rule.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 days (BIGINT: closed items count for status_mismatch when closed in the last this many days).
-- Output columns: key, title, owner, service, team, priority, age_days, rule, detail.
--
-- Items: tracked action items open as of the date (the version in force at
-- its end, items_as_of). Rules, in this order:
--   vague_title          the title describes a wish or an observation, not an action (below)
--   missing_owner        no owner (Owner section, else the assignee)
--   missing_service      no service: no concrete system or process to change
--   missing_target_date  no target or review date
--   missing_rationale    no Risk rationale and no linked risk: no stated reason
--   status_mismatch      a Status section or status: label that contradicts
--                        the tracker (status_mismatch, migration 0007): an
--                        open item labelled done, declined, duplicate or
--                        closed; or a closed one (closed in the last $3 days)
--                        labelled with an open status or another closing
--                        reason. The tracker's state is what every report
--                        uses; the label is the thing to fix.
--   multiple_owners      the Owner section names more than one person: one
--                        owner is accountable (all are in the owners column)
--
-- vague_title, on the title lower-cased, after dropping leading `[tags]` and
-- one leading `component:` word; the first rule that applies is the detail:
--   1. fewer than 3 words                        ("Improve monitoring", "Fix alerts")
--   2. starts with a wish or an inquiry: improve, improved, improving, better,
--      more, less, fewer, look into, looking into, investigate, consider,
--      explore, think about, revisit, figure out, try to, understand,
--      fix issue(s)/problem(s)/bug(s)/things/stuff, tbd, todo
--                                                ("Investigate login latency")
--   3. the first word is not an action verb from the list in `verbs` below
--                                                ("Payment retries are slow")
WITH p AS (
    SELECT $1::DATE AS as_of, $2::VARCHAR AS service, $3::INTEGER AS days
),
scoped AS (
    SELECT a.* FROM items_as_of($1::DATE) a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND (p.service IS NULL OR a.service = p.service)
),
open_items AS (
    SELECT a.*,
           regexp_replace(regexp_replace(lower(trim(coalesce(a.title, ''))),
                                         '^(\[[^\]]*\]\s*)+', ''),
                          '^[a-z0-9_./-]+:\s+', '') AS t
    FROM scoped a
    WHERE a.state = 'open'
),
mismatched AS (
    SELECT a.source, a.key, a.title, a.owner, a.service, a.team, a.level, a.age_days,
           'labelled ' || a.stated_status || ' but ' ||
           CASE WHEN a.state = 'open' THEN 'open in the tracker'
                ELSE 'closed as ' || a.lifecycle || ' in the tracker' END AS detail
    FROM scoped a, p
    WHERE status_mismatch(a.state, a.status, a.stated_status)
      AND (a.state = 'open' OR a.closed_at::TIMESTAMP::DATE > p.as_of - p.days)
),
verbs AS (
    SELECT ['add', 'adjust', 'alert', 'align', 'allow', 'archive', 'audit', 'automate', 'backfill',
            'back', 'block', 'build', 'bump', 'cache', 'cap', 'change', 'clean', 'configure',
            'consolidate', 'convert', 'create', 'cut', 'deduplicate', 'define', 'delete', 'deploy',
            'deprecate', 'detect', 'disable', 'document', 'drain', 'drop', 'emit', 'enable', 'encrypt',
            'enforce', 'expire', 'expose', 'extend', 'extract', 'fail', 'fix', 'gate', 'guard', 'handle',
            'harden', 'implement', 'increase', 'decrease', 'index', 'instrument', 'introduce', 'isolate',
            'limit', 'lock', 'log', 'lower', 'make', 'mark', 'measure', 'merge', 'migrate', 'monitor',
            'move', 'notify', 'page', 'paginate', 'partition', 'patch', 'pin', 'prevent', 'provision',
            'publish', 'purge', 'queue', 'raise', 'rate-limit', 'rebuild', 'record', 'reduce', 'refactor',
            'reject', 'release', 'remove', 'rename', 'repair', 'replace', 'replicate', 'require', 'reserve',
            'reset', 'resize', 'restore', 'restrict', 'retire', 'retry', 'revert', 'rewrite', 'roll',
            'rotate', 'run', 'scale', 'schedule', 'send', 'separate', 'set', 'shard', 'ship', 'shorten',
            'simplify', 'split', 'standardize', 'stop', 'store', 'switch', 'sync', 'tag', 'test',
            'throttle', 'track', 'train', 'trigger', 'tune', 'unify', 'update', 'upgrade', 'use',
            'validate', 'verify', 'version', 'write'] AS list
),
titled AS (
    SELECT o.*,
           -- Three words or more: two whitespace runs with a word between
           -- (the split into words and its count cost a twentieth of the
           -- query over 1M items).
           regexp_matches(o.t, '\s\S+\s') AS three_words,
           regexp_extract(o.t, '^(improve|improved|improving|better|more|less|fewer|look into|looking into|investigate|consider|explore|think about|revisit|figure out|try to|understand|fix (the )?(issues?|problems?|bugs?|things|stuff)|tbd|todo)\b', 0) AS wish,
           regexp_extract(o.t, '^[a-z][a-z-]*', 0) AS first_word,
           v.list
    FROM open_items o, verbs v
),
checks AS (
    SELECT *,
           CASE WHEN NOT three_words THEN 'fewer than 3 words'
                WHEN wish <> '' THEN 'starts with "' || wish || '"'
                WHEN NOT list_contains(list, first_word)
                    THEN 'no action verb first ("' || coalesce(nullif(first_word, ''), t) || '")'
           END AS vague
    FROM titled
),
-- Each failed rule carries the item's columns along: joining the failures
-- back to `scoped` for them cost a fifth of the query over 1M items.
failed AS (
    SELECT key, title, owner, service, team, level, age_days, source,
           1 AS ord, 'vague_title' AS rule, vague AS detail
    FROM checks WHERE vague IS NOT NULL
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           2, 'missing_owner', 'no owner'
    FROM checks WHERE nullif(trim(owner), '') IS NULL
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           3, 'missing_service', 'no service'
    FROM checks WHERE nullif(trim(service), '') IS NULL
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           4, 'missing_target_date', 'no target date'
    FROM checks WHERE target_date IS NULL
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           5, 'missing_rationale', 'no risk rationale and no linked risk'
    FROM checks WHERE nullif(trim(risk_rationale), '') IS NULL AND risk_ref IS NULL
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           6, 'status_mismatch', detail
    FROM mismatched
    UNION ALL
    SELECT key, title, owner, service, team, level, age_days, source,
           7, 'multiple_owners', 'owners named: ' || array_to_string(owners, ', ')
    FROM checks WHERE len(owners) > 1
)
SELECT key, title, owner, service, team, level AS priority, age_days, rule, detail
FROM failed
ORDER BY key, source, ord
