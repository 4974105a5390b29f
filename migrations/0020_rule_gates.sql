-- 0020: an evaluation with nothing new does not read every customer again.
--
-- The money rules (runway, renewal_short, spend_jump, the coupon rules) read
-- every customer's balance, spending, renewals and coupons at each
-- evaluation. Their result changes only when what they read changes, when the
-- clock passes an hour in a zone they count days in, or when it passes one of
-- the moments their rows name (a coupon's or an auto-renew resource's
-- expiry). rule_inputs counts the changes to what they read, in the writing
-- transaction itself, so an evaluation sees a count only with the rows
-- behind it; rule_gates keeps, per rule, the counts, settings and clock of
-- its last full run. A rule whose gate says nothing moved is not run.

CREATE TABLE rule_inputs (
    tab     text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO rule_inputs (tab) VALUES ('customers'), ('customer_settings'), ('manager_accounts'),
    ('resources'), ('balance_days'), ('consumption_daily'), ('renewal_prices'),
    ('renewal_charges'), ('coupons'), ('coupon_quotas'), ('coupon_records'), ('poll_runs');

CREATE TABLE rule_gates (
    rule         text PRIMARY KEY,
    version      bigint NOT NULL,      -- the sum of its inputs' counts it last ran with
    settings     text NOT NULL,        -- md5 of the settings document it last ran with
    evaluated_at timestamptz NOT NULL  -- the evaluation's clock then
);

-- Counts a change to tab once per transaction: the count's only use is "changed since", and a
-- row updated again and again in one transaction grows a chain that every update walks.
CREATE FUNCTION rule_input_count(tab text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hcwatch.counted_' || tab, true) IS DISTINCT FROM
       txid_current()::text THEN
        UPDATE rule_inputs SET version = version + 1 WHERE rule_inputs.tab = rule_input_count.tab;
        PERFORM set_config('hcwatch.counted_' || tab, txid_current()::text, true);
    END IF;
END
$$;

-- A statement trigger with its rows as the transition table "changed": counts only a statement
-- that changed a row, so the poller's writes that find nothing new leave the count alone.
CREATE FUNCTION rule_input_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        PERFORM rule_input_count(TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$;

-- customers is also written by every accepted callback (names, binding times): only a change to
-- what the money rules read counts, so a binding notification never does.
CREATE FUNCTION rule_customers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM new_rows n WHERE n.balance_amount IS NOT NULL
                   OR n.debt_amount IS NOT NULL OR n.huawei_manager IS NOT NULL
                   OR n.gone_at IS NOT NULL) THEN
            PERFORM rule_input_count('customers');
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                   WHERE (o.balance_amount, o.debt_amount, o.balance_state, o.balance_currency,
                          o.gone_at, o.customer_level, o.huawei_manager, o.customer_name,
                          o.customer_id)
                      IS DISTINCT FROM (n.balance_amount, n.debt_amount, n.balance_state,
                          n.balance_currency, n.gone_at, n.customer_level, n.huawei_manager,
                          n.customer_name, n.customer_id)) THEN
            PERFORM rule_input_count('customers');
        END IF;
    ELSIF EXISTS (SELECT 1 FROM old_rows) THEN
        PERFORM rule_input_count('customers');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rule_input_insert AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_customers_changed();
CREATE TRIGGER rule_input_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_customers_changed();
CREATE TRIGGER rule_input_delete AFTER DELETE ON customers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_customers_changed();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customer_settings', 'manager_accounts', 'resources', 'balance_days',
        'consumption_daily', 'renewal_prices', 'renewal_charges', 'coupons', 'coupon_quotas',
        'coupon_records', 'poll_runs'] LOOP
        EXECUTE format('CREATE TRIGGER rule_input_insert AFTER INSERT ON %I '
            'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION rule_input_changed()', t);
        EXECUTE format('CREATE TRIGGER rule_input_update AFTER UPDATE ON %I '
            'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION rule_input_changed()', t);
        EXECUTE format('CREATE TRIGGER rule_input_delete AFTER DELETE ON %I '
            'REFERENCING OLD TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION rule_input_changed()', t);
    END LOOP;
END
$$;

-- The coupons' expiries an idle evaluation looks for (rules/coupons/gate.sql).
CREATE INDEX coupons_expire_time ON coupons (expire_time) WHERE usable_until IS NULL;

-- The open alerts an evaluation without a silence in force settles (alerts/states.sql): those
-- acknowledged or silenced, not the hundreds of thousands plainly firing.
CREATE INDEX alerts_not_plainly_firing ON alerts (id)
    WHERE resolved_at IS NULL AND (state <> 'firing' OR acked_at IS NOT NULL);
