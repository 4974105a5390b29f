-- A send left $2 seconds ago: the next may not start before one interval after it, however late it
-- left after its token (a slow connect).
UPDATE destination_state SET tat = greatest(tat, clock_timestamp()
  + ($3::double precision - $2::double precision) * interval '1 second') WHERE destination = $1
