-- writeback/flags: the flags (labels) write-back wants on each open tracked action item and risk, with the value each reflects and the reason in words.
-- Parameters: $1 as_of (DATE), $2 source (VARCHAR), $3 stale_review_days (BIGINT), $4 deadline_critical, $5 deadline_high, $6 deadline_medium, $7 deadline_low (BIGINT days).
-- Output columns: source, key, kind, flag, label, value_key, reason.
--
-- flag is the name `[writeback] flags` switches on and off; label is the
-- label name without `[writeback] label_prefix`. value_key is what the
-- label stands for: a label a person removed is not added back until it
-- changes. Reasons are stable wording (no "N days ago"), so a summary
-- comment is rewritten only when something really changed.
--   risk-priority      risk-p0..risk-p3: an active risk's priority from the
--                      latest scoring run, or an action item's inherited
--                      from the active risk it reduces (action_item_scores,
--                      basis risk; a mitigated or retired risk lends none)
--   overdue            an action item past its target date or, without one,
--                      older than its priority's deadline (overdue_on, as
--                      health/aging)
--   needs-owner        an action item or active risk without an owner
--   needs-target-date  an action item without a target date
--   stale-review       an active risk never reviewed, or last reviewed more
--                      than stale_review_days ago (its Last reviewed, or a
--                      review recorded with `recur review record`, whichever
--                      is later: reviewed_on)
-- The `vague` flag comes from health/lint's vague_title rule, not from here,
-- so the title rule has one definition.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::VARCHAR AS source, $3::BIGINT AS stale_days,
           $4::BIGINT AS d_critical, $5::BIGINT AS d_high, $6::BIGINT AS d_medium, $7::BIGINT AS d_low
),
open_items AS (
    SELECT i.* REPLACE (reviewed_on(i.source, i.key, i.last_reviewed_at, p.as_of) AS last_reviewed_at), p.as_of,
           i.kind = 'risk' AND risk_active(i.state, i.status) AS active_risk
    FROM items i, p
    WHERE i.source = p.source AND i.tracking = 'tracked' AND i.state = 'open'
      AND i.kind IN ('action_item', 'risk')
),
judged AS (
    SELECT o.*, coalesce(priority_level(o.priority), '(none)') AS prio,
           deadline_days(priority_level(o.priority), p.d_critical, p.d_high, p.d_medium, p.d_low) AS deadline_days
    FROM open_items o, p
    WHERE o.kind = 'action_item'
)
SELECT o.source, o.key, o.kind, 'risk-priority' AS flag, 'risk-' || lower(r.priority) AS label,
       r.priority AS value_key,
       'expected cost puts this risk at ' || r.priority AS reason
FROM open_items o JOIN risk_scores r ON r.source = o.source AND r.key = o.key
WHERE o.active_risk AND r.active AND r.priority IS NOT NULL
UNION ALL
SELECT o.source, o.key, o.kind, 'risk-priority', 'risk-' || lower(s.priority), s.priority,
       'inherits ' || s.priority || ' from its risk ' || s.risk_key
FROM open_items o JOIN action_item_scores s ON s.source = o.source AND s.key = o.key
WHERE o.kind = 'action_item' AND s.basis = 'risk' AND s.priority IS NOT NULL
UNION ALL
SELECT source, key, kind, 'overdue', 'overdue',
       CASE WHEN target_date IS NOT NULL THEN 'target ' || target_date
            ELSE 'deadline ' || (created_at::TIMESTAMP::DATE + deadline_days::INTEGER) END,
       CASE WHEN target_date IS NOT NULL THEN 'its target date ' || target_date || ' has passed'
            ELSE 'no target date, and open longer than the ' || deadline_days || '-day deadline for '
                 || CASE prio WHEN '(none)' THEN 'items without a priority' ELSE prio || ' priority' END
                 || ' (due ' || (created_at::TIMESTAMP::DATE + deadline_days::INTEGER) || ')' END
FROM judged
WHERE overdue_on(as_of, created_at, target_date, deadline_days)
UNION ALL
SELECT source, key, kind, 'needs-owner', 'needs-owner', 'none',
       'no owner is named'
FROM open_items
WHERE (kind = 'action_item' OR active_risk) AND nullif(trim(owner), '') IS NULL
UNION ALL
SELECT source, key, kind, 'needs-target-date', 'needs-target-date', 'none',
       'no target date is set'
FROM open_items
WHERE kind = 'action_item' AND target_date IS NULL
UNION ALL
SELECT o.source, o.key, o.kind, 'stale-review', 'stale-review',
       coalesce(CAST(o.last_reviewed_at AS VARCHAR), 'never'),
       CASE WHEN o.last_reviewed_at IS NULL THEN 'never reviewed; reviews are due every ' || p.stale_days || ' days'
            ELSE 'last reviewed ' || o.last_reviewed_at || '; reviews are due every ' || p.stale_days || ' days' END
FROM open_items o, p
WHERE o.active_risk AND (o.last_reviewed_at IS NULL OR p.as_of - o.last_reviewed_at > p.stale_days)
ORDER BY key, flag
