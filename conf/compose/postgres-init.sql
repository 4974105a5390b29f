-- Run once by the postgres image when its volume is new: the read-only role
-- Grafana logs in as. `hcwatch migrate` grants it the dashboard views
-- ([database] dashboard_roles in conf/compose/hcwatch.conf).
CREATE ROLE grafana LOGIN PASSWORD 'grafana';
