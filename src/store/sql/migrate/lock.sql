-- One migrator at a time: every hcwatch that migrates this database takes this advisory lock
-- ("hcwm"); the others wait, then find nothing to do.
SELECT pg_advisory_lock(1751349101)
