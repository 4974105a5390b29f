-- 0017: history kept bounded. The retention thread deletes, in small batches, what is older than
-- [retention] keeps it; the balance history is first rolled up into one row per customer (or
-- partner account) and day, so that dashboards keep long trends.

-- Each day's closing balance, besides its spending: the trigger now records the day's latest
-- snapshot too, and counts a customer's first snapshot (it closes its day).
ALTER TABLE balance_days ADD COLUMN close_amount numeric, ADD COLUMN close_debt numeric,
    ADD COLUMN close_at timestamptz;

CREATE OR REPLACE FUNCTION hcwatch_balance_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One row per customer and day, however many snapshots the statement inserted.
    INSERT INTO balance_days AS d (customer_id, day, spent, first_at, last_at, close_amount,
        close_debt, close_at)
    SELECT n.customer_id, (n.taken_at AT TIME ZONE 'UTC')::date,
           COALESCE(sum(greatest(p.amount - n.amount, 0)), 0),
           COALESCE(min(p.taken_at), min(n.taken_at)), max(n.taken_at),
           (array_agg(n.amount ORDER BY n.taken_at DESC))[1],
           (array_agg(n.debt_amount ORDER BY n.taken_at DESC))[1], max(n.taken_at)
    FROM new_rows n
    LEFT JOIN LATERAL (
        SELECT b.amount, b.taken_at FROM balance_snapshots b
        WHERE b.customer_id = n.customer_id AND b.taken_at < n.taken_at
        ORDER BY b.taken_at DESC LIMIT 1) AS p ON true
    GROUP BY 1, 2
    ON CONFLICT (customer_id, day) DO UPDATE SET
        spent = d.spent + EXCLUDED.spent,
        first_at = least(d.first_at, EXCLUDED.first_at),
        last_at = greatest(d.last_at, EXCLUDED.last_at),
        close_amount = CASE WHEN d.close_at IS NULL OR EXCLUDED.close_at >= d.close_at
            THEN EXCLUDED.close_amount ELSE d.close_amount END,
        close_debt = CASE WHEN d.close_at IS NULL OR EXCLUDED.close_at >= d.close_at
            THEN EXCLUDED.close_debt ELSE d.close_debt END,
        close_at = greatest(d.close_at, EXCLUDED.close_at);
    RETURN NULL;
END
$$;

UPDATE balance_days d SET close_amount = s.amount, close_debt = s.debt_amount,
    close_at = s.taken_at
  FROM (SELECT DISTINCT ON (customer_id, (taken_at AT TIME ZONE 'UTC')::date) customer_id,
      (taken_at AT TIME ZONE 'UTC')::date AS day, amount, debt_amount, taken_at
    FROM balance_snapshots ORDER BY customer_id, (taken_at AT TIME ZONE 'UTC')::date,
      taken_at DESC) AS s
  WHERE d.customer_id = s.customer_id AND d.day = s.day;

-- The partner's own accounts, one row per account and UTC day: the day's last balance, written
-- as the raw snapshots are deleted (and by a roll-up of those there are now).
CREATE TABLE partner_balance_days (
    account_id   text NOT NULL,
    account_type smallint NOT NULL,
    day          date NOT NULL,
    close_amount numeric,
    currency     text,
    close_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, account_type, day)
);

-- What the batches find old rows by.
CREATE INDEX balance_snapshots_taken_at ON balance_snapshots (taken_at);
CREATE INDEX balance_days_day ON balance_days (day);
CREATE INDEX renewal_charges_trade_time ON renewal_charges (trade_time);
CREATE INDEX poll_runs_started_at ON poll_runs (started_at);
