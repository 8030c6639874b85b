-- 0003_scores: risk scoring runs (`recur score`, src/scoring.rs), one row per
-- risk per run, and the views over the latest run. Never edit once landed:
-- add a new file.

CREATE SEQUENCE score_run_ids START 1;

-- One row per scoring run: when it ran and the [scoring] settings it used.
CREATE TABLE score_runs (
    run_id            BIGINT PRIMARY KEY,
    scored_at         TIMESTAMPTZ NOT NULL,   -- the "now" of the run (blend window end)
    risks             BIGINT NOT NULL,        -- rows written to score_history
    default_slo       DOUBLE NOT NULL,        -- [scoring] slo, a fraction
    outage_multiplier DOUBLE NOT NULL,        -- [scoring] outage_multiplier
    settings          VARCHAR NOT NULL        -- JSON of every [scoring] value used
);

-- One row per tracked risk per run: a snapshot of the risk as scored, both
-- models with every input they used (the breakdown), and the action-item
-- counts the movement report needs. Historised, never updated.
CREATE TABLE score_history (
    run_id                     BIGINT NOT NULL,
    scored_at                  TIMESTAMPTZ NOT NULL,
    source                     VARCHAR NOT NULL,
    key                        VARCHAR NOT NULL,
    -- The risk as it stood.
    title                      VARCHAR,
    state                      VARCHAR NOT NULL,
    status                     VARCHAR,
    owner                      VARCHAR,
    last_reviewed_at           DATE,
    created_at                 TIMESTAMPTZ NOT NULL,
    active                     BOOLEAN NOT NULL,  -- open, and status neither retired nor mitigated
    -- Ordinal model: the levels used (given, or derived from the numbers).
    impact                     INTEGER,
    scope                      INTEGER,
    likelihood                 INTEGER,
    levels_from_numbers        VARCHAR,           -- levels derived from numbers, e.g. 'impact,scope'
    ordinal                    INTEGER,           -- impact × scope × likelihood, 1–125
    band                       VARCHAR,           -- low | medium | high | critical
    -- Expected-cost model: the numbers used (given, or derived from levels).
    minutes                    DOUBLE,            -- ttd + ttr
    users_pct                  DOUBLE,            -- 0–100
    per_year_stated            DOUBLE,            -- f0: occurrences/yr, else 365.25 / days between failures
    linked_incidents           BIGINT NOT NULL,
    incidents_in_window        BIGINT,            -- k: linked incidents started between creation and the run
    window_years               DOUBLE,            -- T: that span in years, at least 0.25 (NULL: no blend)
    per_year                   DOUBLE,            -- (k + f0) / (T + 1) with linked incidents, else f0
    outage_multiplier_applied  DOUBLE,            -- 1 unless users_pct >= 90
    bad_minutes_per_year       DOUBLE,
    slo                        DOUBLE NOT NULL,   -- fraction: the risk's, else [scoring] slo
    budget_minutes             DOUBLE NOT NULL,   -- (1 - slo) × 525960
    budget_share               DOUBLE,
    priority                   VARCHAR,           -- P0 | P1 | P2 | P3
    estimated                  BOOLEAN,           -- some expected-cost input came from a level table
    derived_from_levels        VARCHAR,           -- which: 'minutes,users_pct,per_year'
    -- Rank inversion among the run's active risks.
    inversions                 BIGINT NOT NULL,   -- risks ranked above by one model and below by the other
    inversion                  BOOLEAN NOT NULL,
    -- Linked action items when scored.
    open_action_items          BIGINT NOT NULL,
    done_action_items          BIGINT NOT NULL,
    closed_action_items        BIGINT NOT NULL,   -- done, declined or otherwise closed
    last_action_item_closed_at TIMESTAMPTZ,
    estimate_changed_at        TIMESTAMPTZ,       -- when the scoring fields took their current values
    PRIMARY KEY (run_id, source, key)
);

-- The latest run's scores: the newest `scored_at`, ties to the higher run id.
CREATE VIEW risk_scores AS
WITH latest AS (
    SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1
)
SELECT h.source, h.key, h.title, h.ordinal, h.band, h.per_year, h.bad_minutes_per_year,
       h.budget_share, h.priority, h.estimated, h.inversion, h.open_action_items, h.owner,
       h.status, h.last_reviewed_at, h.scored_at,
       h.run_id, h.state, h.active, h.impact, h.scope, h.likelihood, h.levels_from_numbers,
       h.minutes, h.users_pct, h.per_year_stated, h.linked_incidents, h.incidents_in_window,
       h.window_years, h.outage_multiplier_applied, h.slo, h.budget_minutes,
       h.derived_from_levels, h.inversions, h.done_action_items, h.closed_action_items
FROM score_history h JOIN latest USING (run_id);

-- Action items with the priority of their risk (latest run). An item with
-- no scored risk gets an ordinal-only score from its own priority:
-- critical → P0, high → P1, medium → P2, low → P3, and the band of that name.
-- When a reference matches risks in two sources, the item's own source wins.
CREATE VIEW action_item_scores AS
WITH linked AS (
    SELECT a.source, a.key, r.source AS risk_source, r.key AS risk_key, r.ordinal, r.band,
           r.priority, r.bad_minutes_per_year, r.budget_share, r.scored_at
    FROM action_items a JOIN risk_scores r ON r.key = a.risk_ref
    QUALIFY row_number() OVER (PARTITION BY a.source, a.key
                               ORDER BY (r.source = a.source) DESC, r.source) = 1
)
SELECT a.source, a.key, a.title,
       coalesce(l.priority, CASE a.priority WHEN 'critical' THEN 'P0' WHEN 'high' THEN 'P1'
                                            WHEN 'medium' THEN 'P2' WHEN 'low' THEN 'P3' END) AS priority,
       CASE WHEN l.priority IS NOT NULL THEN 'risk'
            WHEN a.priority IN ('critical', 'high', 'medium', 'low') THEN 'own priority' END AS basis,
       coalesce(l.band, CASE WHEN a.priority IN ('critical', 'high', 'medium', 'low') THEN a.priority END) AS band,
       l.ordinal, l.bad_minutes_per_year, l.budget_share,
       a.risk_ref, l.risk_source, l.risk_key,
       a.priority AS own_priority, a.state, a.status, a.owner, a.target_date, l.scored_at
FROM action_items a LEFT JOIN linked l USING (source, key)
WHERE a.tracking = 'tracked';
