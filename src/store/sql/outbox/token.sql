-- GCRA in one row per destination, so that every instance keeps the same pace: a send is allowed
-- when the theoretical arrival time is within the tolerance of now, and moves it one interval on.
WITH up AS (
  INSERT INTO destination_state AS s (destination, tat)
  VALUES ($1, clock_timestamp() + $2::double precision * interval '1 second')
  ON CONFLICT (destination) DO UPDATE
    SET tat = greatest(s.tat, clock_timestamp()) + $2::double precision * interval '1 second'
    WHERE greatest(s.tat, clock_timestamp())
      <= clock_timestamp() + $3::double precision * interval '1 second'
  RETURNING 1) SELECT CASE WHEN EXISTS (SELECT 1 FROM up) THEN 0 ELSE
  (SELECT greatest(extract(epoch FROM s.tat - clock_timestamp()) - $3::double precision,
     0.001) FROM destination_state s WHERE s.destination = $1) END
