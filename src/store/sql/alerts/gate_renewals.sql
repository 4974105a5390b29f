-- For the rules that read the auto-renewals due (runway, renewal_short): whether the clock passed
-- an auto-renew resource's expiry since the rule last ran (1, else 0). It then leaves the
-- renewals due, with no new data. The bounds are constants to the planner, so this is a range
-- of the expiry index.
SELECT EXISTS (SELECT 1 FROM resources r WHERE r.gone_at IS NULL
    AND r.expire_time > (SELECT evaluated_at FROM rule_gates WHERE rule = $1::text)
    AND r.expire_time <= $2::timestamptz AND r.expire_policy = 3)::int
