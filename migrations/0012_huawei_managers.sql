-- 0012: customers routed by Huawei's own account managers. ListSubCustomers
-- names each customer's account manager by login name; a [manager NAME]
-- section may say which login it stands for (huawei_account), and a
-- customer_settings row still overrides.

-- The login name of the customer's account manager at Huawei, as the latest customers poll saw
-- it (account_managers[0].account_name); NULL when none is assigned.
ALTER TABLE customers ADD COLUMN huawei_manager text;

-- Which [manager] section stands for which Huawei login: written by every evaluation from the
-- configuration, so that routing, the rules and dashboards read one mapping.
CREATE TABLE manager_accounts (
    huawei_account text PRIMARY KEY,
    manager        text NOT NULL
);

-- Each customer's account manager as alerts route it, and why: customer_settings names one
-- ('customer_settings'), else Huawei's assignment maps to a [manager] section ('huawei'), else
-- none (the default route).
CREATE VIEW customer_managers AS
    SELECT cu.customer_id, COALESCE(cs.account_manager, ma.manager) AS manager,
        CASE WHEN cs.account_manager IS NOT NULL THEN 'customer_settings'
             WHEN ma.manager IS NOT NULL THEN 'huawei' END AS source,
        cu.huawei_manager
    FROM customers cu
    LEFT JOIN customer_settings cs ON cs.customer_id = cu.customer_id
    LEFT JOIN manager_accounts ma ON ma.huawei_account = cu.huawei_manager
    WHERE cu.customer_id IS NOT NULL;

-- The balance rules' view, its manager now the routed one.
CREATE OR REPLACE VIEW rule_customer_balances AS
    SELECT cu.customer_id,
        cu.gone_at IS NULL AND cu.balance_state = 'available' AS applicable,
        cu.gone_at IS NOT NULL OR cu.balance_state = 'not_available' AS inapplicable,
        cu.customer_name, cu.account_name, cu.balance_amount, cu.debt_amount,
        cu.balance_currency, cu.balance_at,
        COALESCE(cs.account_manager, ma.manager) AS account_manager, cs.low_balance_threshold,
        cs.runway_days
    FROM customers cu LEFT JOIN customer_settings cs USING (customer_id)
    LEFT JOIN manager_accounts ma ON ma.huawei_account = cu.huawei_manager
    WHERE cu.customer_id IS NOT NULL;
