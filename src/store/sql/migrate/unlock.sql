SELECT pg_advisory_unlock(1751349101)
