-- The runway rule's spending, summed per customer and UTC day as balance
-- snapshots arrive, so that an evaluation reads a row per customer and day
-- instead of every snapshot in the window (48 a day per customer at the
-- default balances_interval).
--
-- A snapshot below the customer's previous one counts the difference as
-- spent on the later snapshot's day; a top-up counts nothing.

CREATE TABLE balance_days (
    customer_id text NOT NULL,
    day         date NOT NULL,           -- UTC day of the later snapshot of each pair
    spent       numeric NOT NULL,        -- sum of the drops between consecutive snapshots
    first_at    timestamptz NOT NULL,    -- the earliest earlier snapshot of a pair counted here
    last_at     timestamptz NOT NULL,    -- the latest later snapshot
    PRIMARY KEY (customer_id, day)
);

CREATE FUNCTION hcwatch_balance_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One row per customer and day, however many snapshots the statement inserted.
    INSERT INTO balance_days AS d (customer_id, day, spent, first_at, last_at)
    SELECT n.customer_id, (n.taken_at AT TIME ZONE 'UTC')::date,
           sum(greatest(p.amount - n.amount, 0)), min(p.taken_at), max(n.taken_at)
    FROM new_rows n
    CROSS JOIN LATERAL (
        SELECT b.amount, b.taken_at FROM balance_snapshots b
        WHERE b.customer_id = n.customer_id AND b.taken_at < n.taken_at
        ORDER BY b.taken_at DESC LIMIT 1) AS p
    GROUP BY 1, 2
    ON CONFLICT (customer_id, day) DO UPDATE SET
        spent = d.spent + EXCLUDED.spent,
        first_at = least(d.first_at, EXCLUDED.first_at),
        last_at = greatest(d.last_at, EXCLUDED.last_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER balance_snapshots_days AFTER INSERT ON balance_snapshots
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hcwatch_balance_days();

INSERT INTO balance_days (customer_id, day, spent, first_at, last_at)
SELECT customer_id, (taken_at AT TIME ZONE 'UTC')::date, sum(greatest(prev - amount, 0)),
       min(prev_at), max(taken_at)
FROM (SELECT customer_id, taken_at, amount,
             lag(amount) OVER w AS prev, lag(taken_at) OVER w AS prev_at
      FROM balance_snapshots
      WINDOW w AS (PARTITION BY customer_id ORDER BY taken_at)) AS z
WHERE prev IS NOT NULL
GROUP BY 1, 2;
