-- 0008_scoring_fidelity: which rule gave a risk's rate, why it is an
-- inversion, and the reversals among the top risks of each run
-- (src/scoring.rs has the definitions). Never edit once landed: add a new
-- file.

-- stated | blended | at_least_stated: how per_year came about (incident
-- tickets lower a stated rate only up to [scoring] blend_max_rate).
ALTER TABLE score_history ADD COLUMN rate_rule VARCHAR;
-- Why `inversion` holds: "matrix understates: band low but expected cost
-- P0" or "matrix overstates: …" (band and priority two levels apart).
ALTER TABLE score_history ADD COLUMN inversion_reason VARCHAR;

-- Runs before this migration flagged inversions pairwise (almost every
-- risk); that flag meant something else, so it is cleared rather than
-- reinterpreted.
UPDATE score_history SET inversion = false, inversions = 0;

-- Reversals of a run: among its top [scoring] reversal_top active risks by
-- expected cost, each pair the ordinal ranks the other way round (the
-- first costs more and scores lower). `inversions` in score_history is the
-- number of reversals a risk takes part in.
CREATE TABLE score_reversals (
    run_id       BIGINT NOT NULL,
    seq          BIGINT NOT NULL,     -- order: by the costlier risk's rank, then the other's
    source       VARCHAR NOT NULL,    -- the costlier risk
    key          VARCHAR NOT NULL,
    other_source VARCHAR NOT NULL,    -- the risk the ordinal puts above it
    other_key    VARCHAR NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE OR REPLACE VIEW risk_scores AS
WITH latest AS (
    SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1
)
SELECT h.source, h.key, h.title, h.ordinal, h.band, h.per_year, h.bad_minutes_per_year,
       h.budget_share, h.priority, h.estimated, h.inversion, h.open_action_items, h.owner,
       h.status, h.last_reviewed_at, h.scored_at,
       h.run_id, h.state, h.active, h.impact, h.scope, h.likelihood, h.levels_from_numbers,
       h.minutes, h.users_pct, h.per_year_stated, h.linked_incidents, h.incidents_in_window,
       h.window_years, h.outage_multiplier_applied, h.slo, h.budget_minutes,
       h.derived_from_levels, h.inversions, h.done_action_items, h.closed_action_items,
       h.service, h.rate_rule, h.inversion_reason
FROM score_history h JOIN latest USING (run_id);
