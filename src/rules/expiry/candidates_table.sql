-- The resources candidates.sql finds, for ladder.sql to read: a table, so that the planner
-- knows their number.
CREATE TEMP TABLE ladder_changes (id bigint PRIMARY KEY, customer_id text NOT NULL,
  resource_id text NOT NULL) ON COMMIT DROP
