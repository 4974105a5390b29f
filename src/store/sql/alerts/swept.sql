-- Whether every poll job has finished a run, on any instance, at any time: until then the
-- database holds part of a sweep, and an evaluation would tell day one in two halves. Balances and
-- resources start from the customer list, so while the latest customers run failed they cannot
-- run: then what there is is evaluated, so that hcwatch's own alerts say why. $1, $2: whether the
-- coupons and the consumption jobs run.
WITH f AS (SELECT j.job, EXISTS (SELECT 1 FROM poll_runs r WHERE r.job = j.job
    AND r.finished_at IS NOT NULL) AS done
  FROM unnest(ARRAY['customers', 'balances', 'resources', 'partner']
    || CASE WHEN $1::boolean THEN ARRAY['coupons'] ELSE '{}' END
    || CASE WHEN $2::boolean THEN ARRAY['consumption'] ELSE '{}' END) AS j(job))
SELECT bool_and(f.done) OR (
    (SELECT done FROM f WHERE job = 'customers') AND (SELECT done FROM f WHERE job = 'partner')
    AND COALESCE((SELECT r.status = 'failed' FROM poll_runs r WHERE r.job = 'customers'
      AND r.finished_at IS NOT NULL ORDER BY r.finished_at DESC LIMIT 1), false))
  FROM f
