-- $1: [{id, token, parts, body}], the renderings of one claim's deliveries.
UPDATE deliveries d SET body = x.body, parts_total = x.parts
    FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, token bigint, parts int, body jsonb)
    WHERE d.id = x.id AND d.lease_token = x.token RETURNING d.id
