-- The expiry ladder reads only the resources whose stage may have moved
-- since the previous evaluation: those that changed, and those whose expiry
-- is a stage's number of days away from a moment the clock passed since.
--
-- A change is a new value of resources.changed_seq, taken from one sequence
-- by every insert and by every update of a column the ladder reads. An
-- evaluation records the highest value it has seen in alert_runs, and takes
-- a lock that waits out the writers in flight, so nothing below that value
-- can commit later.

CREATE SEQUENCE resources_change_seq;
ALTER TABLE resources
    ADD COLUMN changed_seq bigint NOT NULL DEFAULT nextval('resources_change_seq');
CREATE INDEX resources_changed ON resources (changed_seq);

CREATE FUNCTION hcwatch_resource_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_seq := nextval('resources_change_seq');
    RETURN NEW;
END
$$;

-- Names and last_seen_* change on every poll and stay out: those updates
-- remain heap-only.
CREATE TRIGGER resources_changed BEFORE UPDATE ON resources FOR EACH ROW
    WHEN (OLD.expire_time IS DISTINCT FROM NEW.expire_time
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.expire_policy IS DISTINCT FROM NEW.expire_policy
          OR OLD.gone_at IS DISTINCT FROM NEW.gone_at
          OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
          OR OLD.resource_id IS DISTINCT FROM NEW.resource_id
          OR OLD.service_type_code IS DISTINCT FROM NEW.service_type_code)
    EXECUTE FUNCTION hcwatch_resource_changed();

-- A customer's own expiry stages apply to all their resources.
CREATE FUNCTION hcwatch_customer_stages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.expiry_stages IS NOT DISTINCT FROM NEW.expiry_stages
       AND OLD.customer_id = NEW.customer_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE resources SET changed_seq = nextval('resources_change_seq')
        WHERE customer_id = OLD.customer_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE resources SET changed_seq = nextval('resources_change_seq')
        WHERE customer_id = NEW.customer_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_settings_stages AFTER INSERT OR UPDATE OR DELETE ON customer_settings
    FOR EACH ROW EXECUTE FUNCTION hcwatch_customer_stages_changed();

ALTER TABLE alert_runs
    ADD COLUMN settings_hash text,      -- md5 of the rule settings; a change means a full pass
    ADD COLUMN resource_seq  bigint,    -- the highest resources.changed_seq this run had seen
    ADD COLUMN full_pass     boolean;   -- every resource near expiry was read, not only changes

-- The pass over changes looks up each resource's open expiry alert.
CREATE INDEX alerts_open_expiry ON alerts (customer_id, resource_id)
    WHERE kind = 'expiry' AND resolved_at IS NULL;

-- A run finds its own notifications by id (they are written only by
-- evaluations, one at a time), so routing marks only those without a
-- destination; the others are routed when written.
ALTER TABLE notifications ALTER COLUMN routed_at SET DEFAULT now();
DROP INDEX notifications_unrouted;
