-- $1: [{id, token, parts, body}], the deliveries of one claim whose last part was sent, in one
-- statement: the rendering comes along where it was made for this claim (body NULL where it was
-- stored before). Returns the ids still held; one missing was taken over when its lease ran out.
UPDATE deliveries d SET state = 'delivered', parts_sent = x.parts, parts_total = x.parts,
  body = COALESCE(x.body, d.body), delivered_at = clock_timestamp(), last_error = NULL
    FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, token bigint, parts int, body jsonb)
    WHERE d.id = x.id AND d.lease_token = x.token RETURNING d.id
