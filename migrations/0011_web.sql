-- 0011: the pages behind the messages: what readers did there.

-- Every action taken on a page, with whose link was used: the audit trail the
-- alert page shows.
CREATE TABLE web_actions (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    alert_id    bigint NOT NULL REFERENCES alerts (id),
    action      text NOT NULL CHECK (action IN ('acknowledge', 'silence', 'unsilence')),
    name        text NOT NULL,            -- as the reader typed it
    note        text,
    destination text NOT NULL,            -- the destination whose message carried the link
    address     text,                     -- the client's address, as the server saw it
    user_agent  text,
    silence_id  bigint REFERENCES silences (id),
    until       timestamptz               -- silence: when it ends
);
CREATE INDEX web_actions_alert ON web_actions (alert_id, at);
CREATE INDEX web_actions_at ON web_actions (at);

-- The pages find the deliveries that carried a notification. Without a pending list
-- (fastupdate off): a lookup would otherwise scan every delivery made since the
-- last vacuum, and a day's digests are made in a burst.
CREATE INDEX deliveries_notification_ids ON deliveries USING gin (notification_ids)
    WITH (fastupdate = off);
