-- $1: milliseconds, as text; 0 for none.
SELECT set_config('statement_timeout', $1, false)
