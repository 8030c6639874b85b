-- 0014_views_for_other_tools: the public views as other tools see them
-- (the duckdb CLI, Python, BI drivers opening the file read-only), and a
-- comment on every public view, public table and column, which
-- duckdb_views(), duckdb_tables() and duckdb_columns() show. Never edit
-- once landed: add a new file.
--
-- Timestamps. The stored columns are TIMESTAMPTZ (instants). Date
-- arithmetic on TIMESTAMPTZ (date_trunc, date_diff, + INTERVAL, extract,
-- current_date) comes from the ICU extension: the bundled DuckDB has none,
-- so such SQL failed inside `recur query`, while the duckdb CLI and Python
-- load ICU and answer in their session's TimeZone (the machine's zone):
-- the same SQL gave no answer in one place and a zone-dependent one in
-- another. The views now show every timestamp as a TIMESTAMP holding the
-- UTC wall-clock time: TIMESTAMP functions are core DuckDB, need no time
-- zone, and answer the same in every engine and zone; days and months are
-- UTC days and months, as recur's reports judge them (`--as-of` is the end
-- of a UTC day). The conversion is as_utc() (epoch microseconds, absolute
-- in every engine), not `::TIMESTAMP`, which ICU reads in the session's
-- zone. The tables keep TIMESTAMPTZ (recur writes instants into them);
-- as_utc() gives the same UTC view of their columns.
--
-- Comments. CREATE OR REPLACE VIEW drops a view's comments, so a later
-- migration that replaces a view must comment it again:
-- store::tests::every_public_view_table_and_column_has_a_comment fails on
-- a public view, public table or column without one.

-- as_utc(t): a TIMESTAMPTZ as the TIMESTAMP of its UTC wall-clock time
-- (a TIMESTAMP is returned unchanged), the same in every engine and zone.
CREATE MACRO as_utc(t) AS make_timestamp(epoch_us(t));

-- utc_now(): the current time as a UTC TIMESTAMP, to compare with the
-- views' columns (`created_at > utc_now() - INTERVAL 30 DAY`). now() is a
-- TIMESTAMPTZ: mixing it with a TIMESTAMP makes ICU read the TIMESTAMP in
-- the session's zone, and now() - INTERVAL needs ICU.
CREATE MACRO utc_now() AS as_utc(now());

-- ------------------------------------------------------------------ views
-- Same columns, same order, same rows as before; only the timestamps change
-- type (TIMESTAMPTZ -> TIMESTAMP, UTC).

CREATE OR REPLACE VIEW action_items AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team,
       as_utc(i.created_at) AS created_at, as_utc(i.updated_at) AS updated_at,
       as_utc(i.closed_at) AS closed_at,
       r.incident_ref, r.risk_ref, i.item_type AS type, i.effect, i.target_date,
       i.risk_rationale, i.expected_outcome, i.evidence, i.blocked_by, i.effort, i.theme,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status,
       as_utc(i.activity_at) AS activity_at, i.owners
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'action_item';

CREATE OR REPLACE VIEW incidents AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team,
       as_utc(i.created_at) AS created_at, as_utc(i.updated_at) AS updated_at,
       as_utc(i.closed_at) AS closed_at,
       as_utc(i.started_at) AS started_at, as_utc(i.resolved_at) AS resolved_at,
       i.severity, r.risk_ref, i.users_pct,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status, i.theme, i.item_type AS type
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'incident';

CREATE OR REPLACE VIEW risks AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team,
       as_utc(i.created_at) AS created_at, as_utc(i.updated_at) AS updated_at,
       as_utc(i.closed_at) AS closed_at,
       i.impact, i.scope, i.likelihood, i.ttd_minutes, i.ttr_minutes, i.users_pct,
       i.occurrences_per_year, i.days_between_failures, i.slo, i.last_reviewed_at,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status,
       risk_active(i.state, i.status) AS active
FROM items i
WHERE i.kind = 'risk';

CREATE OR REPLACE VIEW sync_runs AS
SELECT source, as_utc(started_at) AS started_at, as_utc(finished_at) AS finished_at,
       status, api_requests, not_modified, items_upserted,
       id AS run_id, full_sync, reconciled, items_seen, pull_requests, malformed, retries, waited_ms, error,
       as_utc(clock) AS clock
FROM sync_run_log;

CREATE OR REPLACE VIEW cycles AS
SELECT cycle_id, as_utc(started_at) AS started_at, as_utc(finished_at) AS finished_at,
       date_diff('millisecond', as_utc(started_at), as_utc(finished_at)) AS duration_ms,
       status, sync_outcome, score_outcome, writeback_outcome, error, api_requests, writes,
       as_utc(clock) AS clock
FROM cycle_log;

CREATE OR REPLACE VIEW risk_scores AS
WITH latest AS (
    SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1
)
SELECT h.source, h.key, h.title, h.ordinal, h.band, h.per_year, h.bad_minutes_per_year,
       h.budget_share, h.priority, h.estimated, h.inversion, h.open_action_items, h.owner,
       h.status, h.last_reviewed_at, as_utc(h.scored_at) AS scored_at,
       h.run_id, h.state, h.active, h.impact, h.scope, h.likelihood, h.levels_from_numbers,
       h.minutes, h.users_pct, h.per_year_stated, h.linked_incidents, h.incidents_in_window,
       h.window_years, h.outage_multiplier_applied, h.slo, h.budget_minutes,
       h.derived_from_levels, h.inversions, h.done_action_items, h.closed_action_items,
       h.service, h.rate_rule, h.inversion_reason
FROM score_history h JOIN latest USING (run_id);

-- action_item_scores reads action_items, incidents and risk_scores, whose
-- scored_at is now a UTC TIMESTAMP: unchanged text, replaced only to carry
-- its comments in this file beside the others.
CREATE OR REPLACE VIEW action_item_scores AS
WITH refs AS (
    SELECT a.*, coalesce(a.risk_ref, i.risk_ref) AS reduces
    FROM action_items a
    LEFT JOIN incidents i ON i.source = a.source AND i.key = a.incident_ref AND i.tracking = 'tracked'
),
linked AS (
    SELECT a.source, a.key, r.source AS risk_source, r.key AS risk_key, r.ordinal, r.band,
           r.priority, r.bad_minutes_per_year, r.budget_share, r.scored_at
    FROM refs a JOIN risk_scores r ON r.key = a.reduces AND r.active
    QUALIFY row_number() OVER (PARTITION BY a.source, a.key
                               ORDER BY (r.source = a.source) DESC, r.source) = 1
)
SELECT a.source, a.key, a.title,
       coalesce(l.priority, CASE priority_level(a.priority) WHEN 'critical' THEN 'P0' WHEN 'high' THEN 'P1'
                                            WHEN 'medium' THEN 'P2' WHEN 'low' THEN 'P3' END) AS priority,
       CASE WHEN l.priority IS NOT NULL THEN 'risk'
            WHEN priority_level(a.priority) IS NOT NULL THEN 'own priority' END AS basis,
       coalesce(l.band, priority_level(a.priority)) AS band,
       l.ordinal, l.bad_minutes_per_year, l.budget_share,
       a.reduces AS risk_ref, l.risk_source, l.risk_key,
       a.priority AS own_priority, a.state, a.status, a.owner, a.target_date, l.scored_at
FROM refs a LEFT JOIN linked l USING (source, key)
WHERE a.tracking = 'tracked';

CREATE OR REPLACE VIEW writeback_log AS
SELECT as_utc(o.applied_at) AS written_at, o.source, o.key, i.url, o.op,
       o.labels_add, o.labels_remove, o.comment_id, o.reason, o.state AS outcome,
       o.http_status, o.error, o.attempts, o.run_id, o.seq, o.idem_key
FROM writeback_outbox o
LEFT JOIN items i ON i.source = o.source AND i.key = o.key
WHERE o.state IN ('applied', 'failed', 'skipped', 'sending');

-- ---------------------------------------------------------------- macros

COMMENT ON MACRO as_utc IS 'as_utc(t): a TIMESTAMPTZ as the TIMESTAMP of its UTC wall-clock time, the same in every engine and time zone (unlike t::TIMESTAMP, which ICU reads in the session time zone).';
COMMENT ON MACRO utc_now IS 'utc_now(): the current time as a UTC TIMESTAMP, to compare with the views'' timestamp columns (created_at > utc_now() - INTERVAL 30 DAY).';

-- ------------------------------------------------------------ view comments

COMMENT ON VIEW action_items IS 'Postmortem action items (current state, one row per item ever tracked; filter tracking = ''tracked''). Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN action_items.source IS 'The configured source the item came from ([sources.NAME]).';
COMMENT ON COLUMN action_items.key IS 'The item''s key: owner/repo#N on GitHub, PROJECT-N on Jira.';
COMMENT ON COLUMN action_items.url IS 'Link to the item in its tracker.';
COMMENT ON COLUMN action_items.title IS 'Title (Jira summary).';
COMMENT ON COLUMN action_items.body IS 'Description as plain text (Markdown as written; Jira ADF rendered to text).';
COMMENT ON COLUMN action_items.state IS 'open or closed, as the tracker says.';
COMMENT ON COLUMN action_items.status IS 'Closed: done, declined or duplicate, from the closing reason. Open: the Status section or status: label, else the tracker status, else blocked, accepted (has an owner) or proposed.';
COMMENT ON COLUMN action_items.tracking IS 'tracked, untracked (lost its tracked labels), deleted or transferred.';
COMMENT ON COLUMN action_items.labels IS 'Label names as the tracker returns them.';
COMMENT ON COLUMN action_items.owner IS 'First owner: the Owner section, else the assignee.';
COMMENT ON COLUMN action_items.priority IS 'Priority as written (Priority section or priority: label): critical, high, medium, low or P0-P3.';
COMMENT ON COLUMN action_items.service IS 'Affected service (Service section or service: label).';
COMMENT ON COLUMN action_items.team IS 'Owning team (Team section or team: label).';
COMMENT ON COLUMN action_items.created_at IS 'When the item was created in the tracker (TIMESTAMP, UTC).';
COMMENT ON COLUMN action_items.updated_at IS 'When the item last changed in the tracker, recur''s own write-back included (TIMESTAMP, UTC).';
COMMENT ON COLUMN action_items.closed_at IS 'When the item was closed; NULL while open (TIMESTAMP, UTC).';
COMMENT ON COLUMN action_items.incident_ref IS 'Key of the incident it follows up (#12 resolved against its own repository).';
COMMENT ON COLUMN action_items.risk_ref IS 'Key of the risk it reduces (#12 resolved against its own repository).';
COMMENT ON COLUMN action_items.type IS 'Action item type (Type section or type: label).';
COMMENT ON COLUMN action_items.effect IS 'What it does to the risk, from its type: prevention, detection, mitigation, recovery or learning.';
COMMENT ON COLUMN action_items.target_date IS 'Target date (Target date section, else the milestone or Jira due date).';
COMMENT ON COLUMN action_items.risk_rationale IS 'Why it reduces the risk (Risk rationale section).';
COMMENT ON COLUMN action_items.expected_outcome IS 'Expected outcome section.';
COMMENT ON COLUMN action_items.evidence IS 'Evidence of completion section.';
COMMENT ON COLUMN action_items.blocked_by IS 'Blocked by section: what it waits for.';
COMMENT ON COLUMN action_items.effort IS 'Effort estimate as written (XS-XL, or a number with h/d/w).';
COMMENT ON COLUMN action_items.theme IS 'Theme section.';
COMMENT ON COLUMN action_items.lifecycle IS 'open, done, declined or duplicate: the tracker''s state decides open or closed, the closing reason the rest.';
COMMENT ON COLUMN action_items.stated_status IS 'The status a person wrote (section or label) when it differs from status, e.g. done on an open item; NULL otherwise.';
COMMENT ON COLUMN action_items.activity_at IS 'Last change that was not recur''s own write-back (TIMESTAMP, UTC).';
COMMENT ON COLUMN action_items.owners IS 'Every owner named (owner is the first).';

COMMENT ON VIEW incidents IS 'Incidents (current state, one row per item ever tracked; filter tracking = ''tracked''). Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN incidents.source IS 'The configured source the item came from ([sources.NAME]).';
COMMENT ON COLUMN incidents.key IS 'The item''s key: owner/repo#N on GitHub, PROJECT-N on Jira.';
COMMENT ON COLUMN incidents.url IS 'Link to the item in its tracker.';
COMMENT ON COLUMN incidents.title IS 'Title (Jira summary).';
COMMENT ON COLUMN incidents.body IS 'Description as plain text (Markdown as written; Jira ADF rendered to text).';
COMMENT ON COLUMN incidents.state IS 'open or closed, as the tracker says.';
COMMENT ON COLUMN incidents.status IS 'Closed: done, declined or duplicate, from the closing reason. Open: the Status section or status: label, else the tracker status, else blocked, accepted (has an owner) or proposed.';
COMMENT ON COLUMN incidents.tracking IS 'tracked, untracked (lost its tracked labels), deleted or transferred.';
COMMENT ON COLUMN incidents.labels IS 'Label names as the tracker returns them.';
COMMENT ON COLUMN incidents.owner IS 'First owner: the Owner section, else the assignee.';
COMMENT ON COLUMN incidents.priority IS 'Priority as written (Priority section or priority: label).';
COMMENT ON COLUMN incidents.service IS 'Affected service (Service section or service: label).';
COMMENT ON COLUMN incidents.team IS 'Owning team (Team section or team: label).';
COMMENT ON COLUMN incidents.created_at IS 'When the ticket was created in the tracker (TIMESTAMP, UTC).';
COMMENT ON COLUMN incidents.updated_at IS 'When the ticket last changed in the tracker (TIMESTAMP, UTC).';
COMMENT ON COLUMN incidents.closed_at IS 'When the ticket was closed; NULL while open (TIMESTAMP, UTC).';
COMMENT ON COLUMN incidents.started_at IS 'When the incident started (Started at section; TIMESTAMP, UTC). Reports use created_at when it is NULL.';
COMMENT ON COLUMN incidents.resolved_at IS 'When the incident was resolved (Resolved at section; TIMESTAMP, UTC).';
COMMENT ON COLUMN incidents.severity IS 'Severity section, as written.';
COMMENT ON COLUMN incidents.risk_ref IS 'Key of the risk the incident realised (#12 resolved against its own repository).';
COMMENT ON COLUMN incidents.users_pct IS 'Users affected, percent (0-100).';
COMMENT ON COLUMN incidents.lifecycle IS 'open, done, declined or duplicate: the tracker''s state decides open or closed, the closing reason the rest.';
COMMENT ON COLUMN incidents.stated_status IS 'The status a person wrote when it differs from status; NULL otherwise.';
COMMENT ON COLUMN incidents.theme IS 'Theme section.';
COMMENT ON COLUMN incidents.type IS 'Type section or type: label.';

COMMENT ON VIEW risks IS 'The risk registry''s items (current state, one row per item ever tracked; filter tracking = ''tracked'' and active). Scores are in risk_scores. Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN risks.source IS 'The configured source the item came from ([sources.NAME]).';
COMMENT ON COLUMN risks.key IS 'The item''s key: owner/repo#N on GitHub, PROJECT-N on Jira.';
COMMENT ON COLUMN risks.url IS 'Link to the item in its tracker.';
COMMENT ON COLUMN risks.title IS 'Title (Jira summary).';
COMMENT ON COLUMN risks.body IS 'Description as plain text (Markdown as written; Jira ADF rendered to text).';
COMMENT ON COLUMN risks.state IS 'open or closed, as the tracker says.';
COMMENT ON COLUMN risks.status IS 'Closed: done, declined or duplicate, from the closing reason. Open: the Status section or status: label (e.g. mitigated, retired), else the tracker status, else blocked, accepted or proposed.';
COMMENT ON COLUMN risks.tracking IS 'tracked, untracked (lost its tracked labels), deleted or transferred.';
COMMENT ON COLUMN risks.labels IS 'Label names as the tracker returns them.';
COMMENT ON COLUMN risks.owner IS 'First owner: the Owner section, else the assignee.';
COMMENT ON COLUMN risks.priority IS 'Priority as written (Priority section or priority: label); the scored priority is risk_scores.priority.';
COMMENT ON COLUMN risks.service IS 'Affected service (Service section or service: label).';
COMMENT ON COLUMN risks.team IS 'Owning team (Team section or team: label).';
COMMENT ON COLUMN risks.created_at IS 'When the risk was created in the tracker (TIMESTAMP, UTC).';
COMMENT ON COLUMN risks.updated_at IS 'When the risk last changed in the tracker (TIMESTAMP, UTC).';
COMMENT ON COLUMN risks.closed_at IS 'When the risk was closed; NULL while open (TIMESTAMP, UTC).';
COMMENT ON COLUMN risks.impact IS 'Impact level, 1-5 (Impact section).';
COMMENT ON COLUMN risks.scope IS 'Scope level, 1-5 (Scope section).';
COMMENT ON COLUMN risks.likelihood IS 'Likelihood level, 1-5 (Likelihood section).';
COMMENT ON COLUMN risks.ttd_minutes IS 'Time to detect, minutes.';
COMMENT ON COLUMN risks.ttr_minutes IS 'Time to repair, minutes.';
COMMENT ON COLUMN risks.users_pct IS 'Users affected when it happens, percent (0-100).';
COMMENT ON COLUMN risks.occurrences_per_year IS 'Expected occurrences per year, as stated.';
COMMENT ON COLUMN risks.days_between_failures IS 'Expected days between failures, as stated (the alternative to occurrences_per_year).';
COMMENT ON COLUMN risks.slo IS 'The SLO it threatens, a fraction (0.999); NULL: [scoring] slo.';
COMMENT ON COLUMN risks.last_reviewed_at IS 'When the risk was last reviewed (Last reviewed section).';
COMMENT ON COLUMN risks.lifecycle IS 'open, done, declined or duplicate: the tracker''s state decides open or closed, the closing reason the rest.';
COMMENT ON COLUMN risks.stated_status IS 'The status a person wrote when it differs from status; NULL otherwise.';
COMMENT ON COLUMN risks.active IS 'Counts in the registry: open, and status neither retired nor mitigated.';

COMMENT ON VIEW item_refs IS 'Each item''s incident and risk references, #12 resolved against the item''s own repository (owner/repo#12).';
COMMENT ON COLUMN item_refs.source IS 'The configured source of the item.';
COMMENT ON COLUMN item_refs.key IS 'The item''s key.';
COMMENT ON COLUMN item_refs.incident_ref IS 'The incident it references, resolved.';
COMMENT ON COLUMN item_refs.risk_ref IS 'The risk it references, resolved.';

COMMENT ON VIEW parse_problems IS 'Field values recur could not parse, one row per value: the raw text is kept and the item is not dropped.';
COMMENT ON COLUMN parse_problems.source IS 'The configured source of the item.';
COMMENT ON COLUMN parse_problems.key IS 'The item''s key.';
COMMENT ON COLUMN parse_problems.kind IS 'action_item, incident or risk.';
COMMENT ON COLUMN parse_problems.field IS 'The field that could not be parsed (e.g. target_date, impact).';
COMMENT ON COLUMN parse_problems.raw IS 'The text as written.';
COMMENT ON COLUMN parse_problems.reason IS 'Why it could not be parsed.';

COMMENT ON VIEW sync_runs IS 'One row per sync of one source. Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN sync_runs.source IS 'The configured source synced.';
COMMENT ON COLUMN sync_runs.started_at IS 'When the sync started (TIMESTAMP, UTC).';
COMMENT ON COLUMN sync_runs.finished_at IS 'When it finished; NULL while running or after a kill (TIMESTAMP, UTC).';
COMMENT ON COLUMN sync_runs.status IS 'running, ok or failed.';
COMMENT ON COLUMN sync_runs.api_requests IS 'Tracker API requests made.';
COMMENT ON COLUMN sync_runs.not_modified IS 'Requests answered 304 Not Modified (no rate-limit cost).';
COMMENT ON COLUMN sync_runs.items_upserted IS 'Items inserted or changed.';
COMMENT ON COLUMN sync_runs.run_id IS 'The sync run''s id.';
COMMENT ON COLUMN sync_runs.full_sync IS 'A full re-listing (recur sync --full), not an incremental one.';
COMMENT ON COLUMN sync_runs.reconciled IS 'Missing tracked items were looked up (deleted, transferred).';
COMMENT ON COLUMN sync_runs.items_seen IS 'Items read from the tracker.';
COMMENT ON COLUMN sync_runs.pull_requests IS 'GitHub pull requests dropped from listings.';
COMMENT ON COLUMN sync_runs.malformed IS 'Entries that could not be read (see malformed_entries).';
COMMENT ON COLUMN sync_runs.retries IS 'Requests sent again after a failure.';
COMMENT ON COLUMN sync_runs.waited_ms IS 'Time spent waiting for rate limits and back-off, milliseconds.';
COMMENT ON COLUMN sync_runs.error IS 'The error, when it failed.';
COMMENT ON COLUMN sync_runs.clock IS 'The run''s clock: the one "now" it judged by (TIMESTAMP, UTC).';

COMMENT ON VIEW cycles IS 'The daemon''s cycles (sync, score, write-back), one row each. Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN cycles.cycle_id IS 'The cycle''s id.';
COMMENT ON COLUMN cycles.started_at IS 'When the cycle started (TIMESTAMP, UTC).';
COMMENT ON COLUMN cycles.finished_at IS 'When it finished (TIMESTAMP, UTC).';
COMMENT ON COLUMN cycles.duration_ms IS 'finished_at - started_at, milliseconds.';
COMMENT ON COLUMN cycles.status IS 'ok, failed, skipped (another process held the file) or interrupted.';
COMMENT ON COLUMN cycles.sync_outcome IS 'The sync step: ok, failed, skipped or interrupted.';
COMMENT ON COLUMN cycles.score_outcome IS 'The scoring step: ok, failed, skipped or interrupted.';
COMMENT ON COLUMN cycles.writeback_outcome IS 'The write-back step: ok, failed, skipped or interrupted.';
COMMENT ON COLUMN cycles.error IS 'The first error, in words.';
COMMENT ON COLUMN cycles.api_requests IS 'Sync and write-back requests.';
COMMENT ON COLUMN cycles.writes IS 'Write-back write requests.';
COMMENT ON COLUMN cycles.clock IS 'The cycle''s clock: the one "now" its steps judged by (TIMESTAMP, UTC).';

COMMENT ON VIEW risk_scores IS 'The latest scoring run''s scores, one row per tracked risk: the ordinal (matrix) model, the expected-cost model with its inputs, the priority. Every run is in score_history.';
COMMENT ON COLUMN risk_scores.source IS 'The configured source of the risk.';
COMMENT ON COLUMN risk_scores.key IS 'The risk''s key.';
COMMENT ON COLUMN risk_scores.title IS 'Title when scored.';
COMMENT ON COLUMN risk_scores.ordinal IS 'Ordinal score: impact x scope x likelihood, 1-125.';
COMMENT ON COLUMN risk_scores.band IS 'Ordinal band: low, medium, high or critical.';
COMMENT ON COLUMN risk_scores.per_year IS 'Occurrences per year used: the stated rate, blended with linked incidents.';
COMMENT ON COLUMN risk_scores.bad_minutes_per_year IS 'Expected cost: minutes x users share x per_year x outage multiplier.';
COMMENT ON COLUMN risk_scores.budget_share IS 'bad_minutes_per_year / budget_minutes (1.0 = one yearly error budget).';
COMMENT ON COLUMN risk_scores.priority IS 'P0-P3 from budget_share.';
COMMENT ON COLUMN risk_scores.estimated IS 'Some expected-cost input came from a level table, not a number.';
COMMENT ON COLUMN risk_scores.inversion IS 'The two models rank it far apart (see inversion_reason).';
COMMENT ON COLUMN risk_scores.open_action_items IS 'Linked action items open when scored.';
COMMENT ON COLUMN risk_scores.owner IS 'Owner when scored.';
COMMENT ON COLUMN risk_scores.status IS 'Status when scored.';
COMMENT ON COLUMN risk_scores.last_reviewed_at IS 'Last review date when scored.';
COMMENT ON COLUMN risk_scores.scored_at IS 'The run''s time (TIMESTAMP, UTC).';
COMMENT ON COLUMN risk_scores.run_id IS 'The scoring run.';
COMMENT ON COLUMN risk_scores.state IS 'open or closed when scored.';
COMMENT ON COLUMN risk_scores.active IS 'Counted in the registry: open, neither retired nor mitigated.';
COMMENT ON COLUMN risk_scores.impact IS 'Impact level used, 1-5 (given or derived from the numbers).';
COMMENT ON COLUMN risk_scores.scope IS 'Scope level used, 1-5.';
COMMENT ON COLUMN risk_scores.likelihood IS 'Likelihood level used, 1-5.';
COMMENT ON COLUMN risk_scores.levels_from_numbers IS 'Levels derived from numbers, e.g. impact,scope.';
COMMENT ON COLUMN risk_scores.minutes IS 'Minutes per occurrence used: ttd + ttr.';
COMMENT ON COLUMN risk_scores.users_pct IS 'Users affected used, percent.';
COMMENT ON COLUMN risk_scores.per_year_stated IS 'The stated rate: occurrences per year, else 365.25 / days between failures.';
COMMENT ON COLUMN risk_scores.linked_incidents IS 'Incidents linked to the risk.';
COMMENT ON COLUMN risk_scores.incidents_in_window IS 'Linked incidents started between the risk''s creation and the run.';
COMMENT ON COLUMN risk_scores.window_years IS 'That span in years (at least 0.25); NULL: no blend.';
COMMENT ON COLUMN risk_scores.outage_multiplier_applied IS '[scoring] outage_multiplier when users_pct >= 90, else 1.';
COMMENT ON COLUMN risk_scores.slo IS 'The SLO used, a fraction: the risk''s, else [scoring] slo.';
COMMENT ON COLUMN risk_scores.budget_minutes IS 'Yearly error budget, minutes: (1 - slo) x 525960.';
COMMENT ON COLUMN risk_scores.derived_from_levels IS 'Expected-cost inputs taken from level tables, e.g. minutes,users_pct,per_year.';
COMMENT ON COLUMN risk_scores.inversions IS 'Reversals among the run''s top risks it takes part in.';
COMMENT ON COLUMN risk_scores.done_action_items IS 'Linked action items done when scored.';
COMMENT ON COLUMN risk_scores.closed_action_items IS 'Linked action items closed (done, declined or otherwise) when scored.';
COMMENT ON COLUMN risk_scores.service IS 'The risk''s service.';
COMMENT ON COLUMN risk_scores.rate_rule IS 'How per_year came about: stated, blended or at_least_stated.';
COMMENT ON COLUMN risk_scores.inversion_reason IS 'Why inversion holds (matrix understates or overstates).';

COMMENT ON VIEW action_item_scores IS 'Tracked action items with the priority of the risk they reduce (latest scoring run), else a priority from their own.';
COMMENT ON COLUMN action_item_scores.source IS 'The configured source of the action item.';
COMMENT ON COLUMN action_item_scores.key IS 'The action item''s key.';
COMMENT ON COLUMN action_item_scores.title IS 'Title.';
COMMENT ON COLUMN action_item_scores.priority IS 'P0-P3: the risk''s, else from its own priority (critical P0 ... low P3).';
COMMENT ON COLUMN action_item_scores.basis IS 'Where priority came from: risk or own priority.';
COMMENT ON COLUMN action_item_scores.band IS 'The risk''s ordinal band, else its own priority level.';
COMMENT ON COLUMN action_item_scores.ordinal IS 'The risk''s ordinal score.';
COMMENT ON COLUMN action_item_scores.bad_minutes_per_year IS 'The risk''s expected bad minutes per year.';
COMMENT ON COLUMN action_item_scores.budget_share IS 'The risk''s share of a yearly error budget.';
COMMENT ON COLUMN action_item_scores.risk_ref IS 'The risk it reduces: its own risk reference, else its incident''s.';
COMMENT ON COLUMN action_item_scores.risk_source IS 'Source of the scored risk matched.';
COMMENT ON COLUMN action_item_scores.risk_key IS 'Key of the scored risk matched (only active risks lend their priority).';
COMMENT ON COLUMN action_item_scores.own_priority IS 'The action item''s own priority as written.';
COMMENT ON COLUMN action_item_scores.state IS 'open or closed.';
COMMENT ON COLUMN action_item_scores.status IS 'The action item''s status.';
COMMENT ON COLUMN action_item_scores.owner IS 'The action item''s owner.';
COMMENT ON COLUMN action_item_scores.target_date IS 'The action item''s target date.';
COMMENT ON COLUMN action_item_scores.scored_at IS 'The scoring run''s time (TIMESTAMP, UTC); NULL without a scored risk.';

COMMENT ON VIEW writeback_log IS 'Audit of write-back: what was written where, when and why; one row per operation that reached a tracker, failed or was skipped. Timestamps are TIMESTAMP in UTC.';
COMMENT ON COLUMN writeback_log.written_at IS 'When the outcome was recorded (TIMESTAMP, UTC).';
COMMENT ON COLUMN writeback_log.source IS 'The configured source written to.';
COMMENT ON COLUMN writeback_log.key IS 'The item''s key.';
COMMENT ON COLUMN writeback_log.url IS 'Link to the item.';
COMMENT ON COLUMN writeback_log.op IS 'labels or comment.';
COMMENT ON COLUMN writeback_log.labels_add IS 'Labels added.';
COMMENT ON COLUMN writeback_log.labels_remove IS 'Labels removed.';
COMMENT ON COLUMN writeback_log.comment_id IS 'The summary comment created or edited.';
COMMENT ON COLUMN writeback_log.reason IS 'Why, in words.';
COMMENT ON COLUMN writeback_log.outcome IS 'applied, failed, skipped (item moved or deleted) or sending (cut short; the next run checks).';
COMMENT ON COLUMN writeback_log.http_status IS 'The tracker''s HTTP status.';
COMMENT ON COLUMN writeback_log.error IS 'The error, when it failed.';
COMMENT ON COLUMN writeback_log.attempts IS 'Requests tried.';
COMMENT ON COLUMN writeback_log.run_id IS 'The write-back run (writeback_runs).';
COMMENT ON COLUMN writeback_log.seq IS 'Order within the run.';
COMMENT ON COLUMN writeback_log.idem_key IS 'Hash of (source, key, op, payload).';

-- ----------------------------------------------------- public table comments

COMMENT ON TABLE items IS 'Current state of every item recur has ever tracked, one row per (source, key), with the tracker''s JSON (raw). Timestamps are TIMESTAMPTZ; the views show them as UTC TIMESTAMP (as_utc).';
COMMENT ON COLUMN items.source IS 'The configured source the item came from ([sources.NAME]).';
COMMENT ON COLUMN items.key IS 'The item''s key: owner/repo#N on GitHub, PROJECT-N on Jira.';
COMMENT ON COLUMN items.kind IS 'action_item, incident or risk.';
COMMENT ON COLUMN items.tracking IS 'tracked, untracked (lost its tracked labels), deleted or transferred.';
COMMENT ON COLUMN items.container IS 'The repository (owner/repo) or project key holding the item.';
COMMENT ON COLUMN items.number IS 'The issue number within its container.';
COMMENT ON COLUMN items.external_id IS 'The tracker''s own stable id.';
COMMENT ON COLUMN items.url IS 'Link to the item in its tracker.';
COMMENT ON COLUMN items.title IS 'Title (Jira summary).';
COMMENT ON COLUMN items.body IS 'Description as plain text.';
COMMENT ON COLUMN items.state IS 'open or closed, as the tracker says.';
COMMENT ON COLUMN items.state_reason IS 'GitHub state_reason or Jira resolution, as the tracker says it.';
COMMENT ON COLUMN items.tracker_status IS 'The tracker''s status name (Jira).';
COMMENT ON COLUMN items.status IS 'recur''s status: closed items from the closing reason, open ones from what is written, else derived.';
COMMENT ON COLUMN items.labels IS 'Label names as the tracker returns them.';
COMMENT ON COLUMN items.issue_type IS 'Jira issue type name; NULL on GitHub.';
COMMENT ON COLUMN items.assignee IS 'First assignee.';
COMMENT ON COLUMN items.owner IS 'First owner: the Owner section, else the assignee.';
COMMENT ON COLUMN items.priority IS 'Priority as written.';
COMMENT ON COLUMN items.service IS 'Affected service.';
COMMENT ON COLUMN items.team IS 'Owning team.';
COMMENT ON COLUMN items.incident_ref IS 'Incident reference as written (item_refs resolves #12).';
COMMENT ON COLUMN items.risk_ref IS 'Risk reference as written (item_refs resolves #12).';
COMMENT ON COLUMN items.item_type IS 'Type section or type: label (the views call it type).';
COMMENT ON COLUMN items.effect IS 'prevention, detection, mitigation, recovery or learning, from the type.';
COMMENT ON COLUMN items.target_date IS 'Target date.';
COMMENT ON COLUMN items.risk_rationale IS 'Risk rationale section.';
COMMENT ON COLUMN items.expected_outcome IS 'Expected outcome section.';
COMMENT ON COLUMN items.evidence IS 'Evidence of completion section.';
COMMENT ON COLUMN items.blocked_by IS 'Blocked by section.';
COMMENT ON COLUMN items.effort IS 'Effort estimate as written.';
COMMENT ON COLUMN items.theme IS 'Theme section.';
COMMENT ON COLUMN items.impact IS 'Risk impact level, 1-5.';
COMMENT ON COLUMN items.scope IS 'Risk scope level, 1-5.';
COMMENT ON COLUMN items.likelihood IS 'Risk likelihood level, 1-5.';
COMMENT ON COLUMN items.ttd_minutes IS 'Time to detect, minutes.';
COMMENT ON COLUMN items.ttr_minutes IS 'Time to repair, minutes.';
COMMENT ON COLUMN items.users_pct IS 'Users affected, percent (0-100).';
COMMENT ON COLUMN items.occurrences_per_year IS 'Expected occurrences per year.';
COMMENT ON COLUMN items.days_between_failures IS 'Expected days between failures.';
COMMENT ON COLUMN items.slo IS 'The SLO threatened, a fraction.';
COMMENT ON COLUMN items.last_reviewed_at IS 'Last reviewed date.';
COMMENT ON COLUMN items.started_at IS 'Incident start (TIMESTAMPTZ).';
COMMENT ON COLUMN items.resolved_at IS 'Incident resolution (TIMESTAMPTZ).';
COMMENT ON COLUMN items.severity IS 'Incident severity as written.';
COMMENT ON COLUMN items.created_at IS 'When the item was created in the tracker (TIMESTAMPTZ).';
COMMENT ON COLUMN items.updated_at IS 'When the item last changed in the tracker (TIMESTAMPTZ).';
COMMENT ON COLUMN items.closed_at IS 'When the item was closed (TIMESTAMPTZ).';
COMMENT ON COLUMN items.moved_to IS 'The new key of a transferred item.';
COMMENT ON COLUMN items.sections IS 'JSON object: issue-form heading (or Jira field name) -> raw text.';
COMMENT ON COLUMN items.links IS 'JSON array of {relation, target}: links to other items (Jira issue links).';
COMMENT ON COLUMN items.problems IS 'JSON array of {field, raw, reason}: values that could not be parsed (parse_problems).';
COMMENT ON COLUMN items.content_hash IS 'Hash of the normalised record (not raw, not updated_at): a new history version when it changes.';
COMMENT ON COLUMN items.raw IS 'The item''s JSON exactly as the tracker sent it.';
COMMENT ON COLUMN items.first_seen_at IS 'When recur first stored the item (TIMESTAMPTZ).';
COMMENT ON COLUMN items.last_synced_at IS 'When a sync last stored it (TIMESTAMPTZ).';
COMMENT ON COLUMN items.sync_run_id IS 'The sync run that last stored it (sync_runs.run_id).';
COMMENT ON COLUMN items.activity_at IS 'Last change that was not recur''s own write-back (TIMESTAMPTZ).';
COMMENT ON COLUMN items.stated_status IS 'The status a person wrote when it differs from status.';
COMMENT ON COLUMN items.history_from IS 'Where the item''s recorded history starts: the valid_from of its first item_history version (TIMESTAMPTZ).';
COMMENT ON COLUMN items.owners IS 'Every owner named (owner is the first).';

COMMENT ON TABLE item_history IS 'One row per changed version of an item: valid_from (the tracker''s updated_at of the version) to valid_to (NULL for the current one). Timestamps are TIMESTAMPTZ.';
COMMENT ON COLUMN item_history.source IS 'The configured source of the item.';
COMMENT ON COLUMN item_history.key IS 'The item''s key.';
COMMENT ON COLUMN item_history.kind IS 'action_item, incident or risk.';
COMMENT ON COLUMN item_history.tracking IS 'tracked, untracked, deleted or transferred.';
COMMENT ON COLUMN item_history.container IS 'The repository or project key.';
COMMENT ON COLUMN item_history.title IS 'Title in this version.';
COMMENT ON COLUMN item_history.state IS 'open or closed in this version.';
COMMENT ON COLUMN item_history.state_reason IS 'Closing reason in this version.';
COMMENT ON COLUMN item_history.status IS 'recur''s status in this version.';
COMMENT ON COLUMN item_history.labels IS 'Labels in this version.';
COMMENT ON COLUMN item_history.owner IS 'First owner in this version.';
COMMENT ON COLUMN item_history.priority IS 'Priority as written in this version.';
COMMENT ON COLUMN item_history.service IS 'Service in this version.';
COMMENT ON COLUMN item_history.team IS 'Team in this version.';
COMMENT ON COLUMN item_history.incident_ref IS 'Incident reference as written.';
COMMENT ON COLUMN item_history.risk_ref IS 'Risk reference as written.';
COMMENT ON COLUMN item_history.item_type IS 'Type in this version.';
COMMENT ON COLUMN item_history.effect IS 'Effect in this version.';
COMMENT ON COLUMN item_history.target_date IS 'Target date in this version.';
COMMENT ON COLUMN item_history.blocked_by IS 'Blocked by in this version.';
COMMENT ON COLUMN item_history.evidence IS 'Evidence of completion in this version.';
COMMENT ON COLUMN item_history.impact IS 'Risk impact level in this version.';
COMMENT ON COLUMN item_history.scope IS 'Risk scope level in this version.';
COMMENT ON COLUMN item_history.likelihood IS 'Risk likelihood level in this version.';
COMMENT ON COLUMN item_history.ttd_minutes IS 'Time to detect, minutes.';
COMMENT ON COLUMN item_history.ttr_minutes IS 'Time to repair, minutes.';
COMMENT ON COLUMN item_history.users_pct IS 'Users affected, percent.';
COMMENT ON COLUMN item_history.occurrences_per_year IS 'Occurrences per year.';
COMMENT ON COLUMN item_history.days_between_failures IS 'Days between failures.';
COMMENT ON COLUMN item_history.slo IS 'SLO, a fraction.';
COMMENT ON COLUMN item_history.last_reviewed_at IS 'Last reviewed date in this version.';
COMMENT ON COLUMN item_history.created_at IS 'When the item was created (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.updated_at IS 'The tracker''s updated_at of this version (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.closed_at IS 'When it was closed, in this version (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.content_hash IS 'Hash of the normalised record of this version.';
COMMENT ON COLUMN item_history.valid_from IS 'When this version began: the tracker''s updated_at, or when recur saw a deletion or transfer (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.valid_to IS 'When the next version began; NULL for the current one (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.recorded_at IS 'When recur recorded the version (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.sync_run_id IS 'The sync run that recorded it.';
COMMENT ON COLUMN item_history.stated_status IS 'The status a person wrote, when it differs from status.';
COMMENT ON COLUMN item_history.tracker_status IS 'The tracker''s status name.';
COMMENT ON COLUMN item_history.issue_type IS 'Jira issue type.';
COMMENT ON COLUMN item_history.assignee IS 'First assignee.';
COMMENT ON COLUMN item_history.risk_rationale IS 'Risk rationale section.';
COMMENT ON COLUMN item_history.expected_outcome IS 'Expected outcome section.';
COMMENT ON COLUMN item_history.effort IS 'Effort estimate as written.';
COMMENT ON COLUMN item_history.theme IS 'Theme section.';
COMMENT ON COLUMN item_history.severity IS 'Incident severity.';
COMMENT ON COLUMN item_history.started_at IS 'Incident start (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.resolved_at IS 'Incident resolution (TIMESTAMPTZ).';
COMMENT ON COLUMN item_history.moved_to IS 'New key of a transferred item.';
COMMENT ON COLUMN item_history.owners IS 'Every owner named.';
COMMENT ON COLUMN item_history.origin IS 'sync (seen by a sync) or backfill (rebuilt from the tracker''s change log).';
COMMENT ON COLUMN item_history.body_fields_known IS 'False for a backfilled GitHub version: the issue-form fields keep their first-synced values.';

COMMENT ON TABLE malformed_entries IS 'Tracker entries that could not be read at all, with their JSON.';
COMMENT ON COLUMN malformed_entries.source IS 'The configured source.';
COMMENT ON COLUMN malformed_entries.key IS 'The key when it could be read, else #position on the page.';
COMMENT ON COLUMN malformed_entries.reason IS 'Why it could not be read.';
COMMENT ON COLUMN malformed_entries.raw IS 'The entry''s JSON as received.';
COMMENT ON COLUMN malformed_entries.seen_at IS 'When it was seen (TIMESTAMPTZ).';
COMMENT ON COLUMN malformed_entries.sync_run_id IS 'The sync run that saw it.';

COMMENT ON TABLE score_runs IS 'One row per scoring run (recur score): when it ran and the [scoring] settings it used.';
COMMENT ON COLUMN score_runs.run_id IS 'The run''s id.';
COMMENT ON COLUMN score_runs.scored_at IS 'The run''s "now": the end of the incident blend window (TIMESTAMPTZ).';
COMMENT ON COLUMN score_runs.risks IS 'Rows written to score_history.';
COMMENT ON COLUMN score_runs.default_slo IS '[scoring] slo, a fraction.';
COMMENT ON COLUMN score_runs.outage_multiplier IS '[scoring] outage_multiplier.';
COMMENT ON COLUMN score_runs.settings IS 'JSON of every [scoring] value used.';

COMMENT ON TABLE score_history IS 'One row per tracked risk per scoring run: the risk as scored, both models with every input, and its action-item counts. Never updated.';
COMMENT ON COLUMN score_history.run_id IS 'The scoring run.';
COMMENT ON COLUMN score_history.scored_at IS 'The run''s time (TIMESTAMPTZ).';
COMMENT ON COLUMN score_history.source IS 'The configured source of the risk.';
COMMENT ON COLUMN score_history.key IS 'The risk''s key.';
COMMENT ON COLUMN score_history.title IS 'Title when scored.';
COMMENT ON COLUMN score_history.state IS 'open or closed when scored.';
COMMENT ON COLUMN score_history.status IS 'Status when scored.';
COMMENT ON COLUMN score_history.owner IS 'Owner when scored.';
COMMENT ON COLUMN score_history.last_reviewed_at IS 'Last review date when scored.';
COMMENT ON COLUMN score_history.created_at IS 'When the risk was created (TIMESTAMPTZ).';
COMMENT ON COLUMN score_history.active IS 'Counted in the registry: open, neither retired nor mitigated.';
COMMENT ON COLUMN score_history.impact IS 'Impact level used, 1-5.';
COMMENT ON COLUMN score_history.scope IS 'Scope level used, 1-5.';
COMMENT ON COLUMN score_history.likelihood IS 'Likelihood level used, 1-5.';
COMMENT ON COLUMN score_history.levels_from_numbers IS 'Levels derived from numbers, e.g. impact,scope.';
COMMENT ON COLUMN score_history.ordinal IS 'impact x scope x likelihood, 1-125.';
COMMENT ON COLUMN score_history.band IS 'low, medium, high or critical.';
COMMENT ON COLUMN score_history.minutes IS 'ttd + ttr, minutes.';
COMMENT ON COLUMN score_history.users_pct IS 'Users affected, percent.';
COMMENT ON COLUMN score_history.per_year_stated IS 'Occurrences per year stated, else 365.25 / days between failures.';
COMMENT ON COLUMN score_history.linked_incidents IS 'Incidents linked to the risk.';
COMMENT ON COLUMN score_history.incidents_in_window IS 'Linked incidents started between the risk''s creation and the run.';
COMMENT ON COLUMN score_history.window_years IS 'That span in years (at least 0.25); NULL: no blend.';
COMMENT ON COLUMN score_history.per_year IS 'Occurrences per year used (blended with incidents when linked).';
COMMENT ON COLUMN score_history.outage_multiplier_applied IS 'Outage multiplier when users_pct >= 90, else 1.';
COMMENT ON COLUMN score_history.bad_minutes_per_year IS 'Expected bad minutes per year.';
COMMENT ON COLUMN score_history.slo IS 'The SLO used, a fraction.';
COMMENT ON COLUMN score_history.budget_minutes IS '(1 - slo) x 525960.';
COMMENT ON COLUMN score_history.budget_share IS 'bad_minutes_per_year / budget_minutes.';
COMMENT ON COLUMN score_history.priority IS 'P0-P3.';
COMMENT ON COLUMN score_history.estimated IS 'Some expected-cost input came from a level table.';
COMMENT ON COLUMN score_history.derived_from_levels IS 'Which inputs came from level tables.';
COMMENT ON COLUMN score_history.inversions IS 'Reversals among the run''s top risks it takes part in.';
COMMENT ON COLUMN score_history.inversion IS 'The two models rank it far apart.';
COMMENT ON COLUMN score_history.open_action_items IS 'Linked action items open when scored.';
COMMENT ON COLUMN score_history.done_action_items IS 'Linked action items done when scored.';
COMMENT ON COLUMN score_history.closed_action_items IS 'Linked action items closed when scored.';
COMMENT ON COLUMN score_history.last_action_item_closed_at IS 'When a linked action item was last closed (TIMESTAMPTZ).';
COMMENT ON COLUMN score_history.estimate_changed_at IS 'When the scoring fields took their current values (TIMESTAMPTZ).';
COMMENT ON COLUMN score_history.service IS 'The risk''s service.';
COMMENT ON COLUMN score_history.rate_rule IS 'stated, blended or at_least_stated.';
COMMENT ON COLUMN score_history.inversion_reason IS 'Why inversion holds.';

COMMENT ON TABLE writeback_runs IS 'One row per write-back run of one source.';
COMMENT ON COLUMN writeback_runs.run_id IS 'The run''s id.';
COMMENT ON COLUMN writeback_runs.source IS 'The configured source written to.';
COMMENT ON COLUMN writeback_runs.started_at IS 'When it started (TIMESTAMPTZ).';
COMMENT ON COLUMN writeback_runs.finished_at IS 'When it finished (TIMESTAMPTZ).';
COMMENT ON COLUMN writeback_runs.status IS 'running, ok, failed or interrupted.';
COMMENT ON COLUMN writeback_runs.planned IS 'Operations in the plan.';
COMMENT ON COLUMN writeback_runs.applied IS 'Operations applied.';
COMMENT ON COLUMN writeback_runs.failed IS 'Operations failed.';
COMMENT ON COLUMN writeback_runs.skipped IS 'Operations skipped (item moved or deleted).';
COMMENT ON COLUMN writeback_runs.deferred IS 'Operations over [writeback] max_operations, left for the next run.';
COMMENT ON COLUMN writeback_runs.requests IS 'HTTP requests, reads included.';
COMMENT ON COLUMN writeback_runs.writes IS 'Write requests (POST, PUT, PATCH, DELETE).';
COMMENT ON COLUMN writeback_runs.retries IS 'Requests sent again after a failure.';
COMMENT ON COLUMN writeback_runs.waited_ms IS 'Pacing and rate-limit waits, milliseconds.';
COMMENT ON COLUMN writeback_runs.error IS 'The error, when it failed.';
COMMENT ON COLUMN writeback_runs.clock IS 'The run''s clock: the one "now" it judged by (TIMESTAMPTZ).';

COMMENT ON TABLE writeback_outbox IS 'Every planned write-back operation, then its outcome (planned, sending, applied, failed, skipped, deferred).';
COMMENT ON COLUMN writeback_outbox.run_id IS 'The write-back run.';
COMMENT ON COLUMN writeback_outbox.seq IS 'Order within the run.';
COMMENT ON COLUMN writeback_outbox.idem_key IS 'Hash of (source, key, op, payload).';
COMMENT ON COLUMN writeback_outbox.source IS 'The configured source.';
COMMENT ON COLUMN writeback_outbox.key IS 'The item''s key.';
COMMENT ON COLUMN writeback_outbox.op IS 'labels or comment.';
COMMENT ON COLUMN writeback_outbox.labels_add IS 'Labels to add.';
COMMENT ON COLUMN writeback_outbox.labels_remove IS 'Labels to remove.';
COMMENT ON COLUMN writeback_outbox.comment_id IS 'The comment edited or created.';
COMMENT ON COLUMN writeback_outbox.state_hash IS 'The summary state a comment operation writes.';
COMMENT ON COLUMN writeback_outbox.body IS 'The summary comment as rendered.';
COMMENT ON COLUMN writeback_outbox.reason IS 'Why, in words.';
COMMENT ON COLUMN writeback_outbox.state IS 'planned, sending, applied, failed, skipped or deferred.';
COMMENT ON COLUMN writeback_outbox.http_status IS 'The tracker''s HTTP status.';
COMMENT ON COLUMN writeback_outbox.error IS 'The error, when it failed.';
COMMENT ON COLUMN writeback_outbox.attempts IS 'Requests tried.';
COMMENT ON COLUMN writeback_outbox.planned_at IS 'When it was planned (TIMESTAMPTZ).';
COMMENT ON COLUMN writeback_outbox.applied_at IS 'When its outcome was recorded (TIMESTAMPTZ).';
