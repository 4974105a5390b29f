-- The statements that let role $1 read the dashboard views and nothing else; the server quotes
-- the role (%I), and hcwatch runs the text this returns.
SELECT format('GRANT USAGE ON SCHEMA dashboard TO %1$I; '
  'GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO %1$I', $1::text)
