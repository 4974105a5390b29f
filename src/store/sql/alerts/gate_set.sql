-- A gated rule ran: what it ran with.
INSERT INTO rule_gates AS g (rule, version, settings, evaluated_at)
    VALUES ($1::text, $2::bigint, md5($3::text), $4::timestamptz)
    ON CONFLICT (rule) DO UPDATE SET version = EXCLUDED.version, settings = EXCLUDED.settings,
  evaluated_at = EXCLUDED.evaluated_at
