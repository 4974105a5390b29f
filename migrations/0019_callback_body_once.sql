-- 0019: a verified callback's body is stored once.
--
-- Until now each verified binding notification was stored twice: the raw
-- request in body and its decoded bindRequest in payload. From now on only
-- body is written: it is what was signed, byte for byte, so the signature can
-- be checked again and the request replayed. payload keeps what older rows
-- hold; callback_payload(body) reads the bindRequest out of any body, old or
-- new, and dashboards that read payload can read
-- COALESCE(payload, callback_payload(body)).

-- What the binding notice tells of an accepted callback, from its bindRequest:
-- read by the customer_bound rule without decoding the body again.
ALTER TABLE callback_events ADD COLUMN xaccount_id text, ADD COLUMN bind_action text;

-- The bindRequest of a form-encoded body as JSON, unknown fields kept; NULL
-- for a body without one (a rejected request may have anything). Decoded as
-- hcwatch decodes it: percent escapes, and a space (a '+' the form turned into
-- one) read back as '+'.
CREATE FUNCTION callback_payload(body bytea) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v text;
  raw bytea := '';
  m text[];
BEGIN
  IF body IS NULL THEN
    RETURN NULL;
  END IF;
  v := substring(convert_from(body, 'UTF8') FROM '(?:^|&)bindRequest=([^&]*)');
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  FOR m IN SELECT regexp_matches(v, '%([0-9A-Fa-f]{2})|([^%]+)|(%)', 'g') LOOP
    raw := raw || CASE WHEN m[1] IS NOT NULL THEN decode(m[1], 'hex')
                       WHEN m[2] IS NOT NULL THEN convert_to(m[2], 'UTF8')
                       ELSE '\x25'::bytea END;
  END LOOP;
  RETURN convert_from(decode(replace(convert_from(raw, 'UTF8'), ' ', '+'), 'base64'),
                      'UTF8')::jsonb;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$$;

COMMENT ON COLUMN callback_events.payload IS
    'the decoded bindRequest of rows recorded before migration 0019; callback_payload(body) for any row';
