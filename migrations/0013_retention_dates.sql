-- 0013: after expiry, a yearly/monthly resource has a grace period, then is frozen for a
-- retention period, then Huawei deletes its data and releases it. Their lengths depend on the
-- customer's level; the settings carry them ([alerts] grace_days and retention_days).

-- The days of a period ('grace' or 'retention') for a customer level, from the settings; a level
-- the table does not know (Huawei gave none) takes [alerts] unknown_level's.
CREATE FUNCTION rule_level_days(s jsonb, period text, level text) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE((s->period->>upper(btrim(level)))::integer,
        (s->period->>(s->>'unknown_level'))::integer, 0)
$$;

-- days calendar days after at in the zone tz: the same wall-clock time, across month ends and
-- whatever daylight saving does in between.
CREATE FUNCTION rule_add_days(at timestamptz, days integer, tz text) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT ((at AT TIME ZONE tz) + days * interval '1 day') AT TIME ZONE tz
$$;

-- When a resource that expired at expire_time is frozen (the grace period ends) and when its data
-- is deleted (the retention period ends), for a customer of that level.
CREATE FUNCTION rule_freeze_at(expire_time timestamptz, level text, s jsonb) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT rule_add_days(expire_time, rule_level_days(s, 'grace', level), s->>'tz')
$$;

CREATE FUNCTION rule_delete_at(expire_time timestamptz, level text, s jsonb) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT rule_add_days(expire_time, rule_level_days(s, 'grace', level)
        + rule_level_days(s, 'retention', level), s->>'tz')
$$;

-- The stage before deletion a resource past its expiry has reached: the nearest of the deletion
-- stages (ascending) it has passed, 'delete_3d'; else the stage it has (expired, frozen). Only
-- stages under the days from expiry to deletion (total) count: where deletion is three days after
-- expiry, the expiry's own message already says so, and 'delete_3d' would only repeat it.
CREATE FUNCTION rule_deletion_stage(stage text, delete_days integer, stages integer[],
        total integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN delete_days IS NULL THEN stage
        ELSE COALESCE('delete_' || s.st[width_bucket(delete_days - 1, s.st) + 1] || 'd', stage)
        END
    FROM (SELECT ARRAY(SELECT x FROM unnest(stages) AS x WHERE x < total ORDER BY 1) AS st) AS s
$$;
