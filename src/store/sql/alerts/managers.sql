-- The [manager] sections' Huawei logins ($1's huawei_managers: {"login": "name"}) into
-- manager_accounts, writing only what changed: an evaluation with nothing new writes nothing.
WITH m AS (SELECT key AS huawei_account, value AS manager
    FROM jsonb_each_text(COALESCE($1::jsonb->'huawei_managers', '{}'))), gone AS (
  DELETE FROM manager_accounts a WHERE NOT EXISTS (SELECT 1 FROM m
    WHERE m.huawei_account = a.huawei_account) RETURNING 1)
INSERT INTO manager_accounts AS a (huawei_account, manager) SELECT huawei_account, manager FROM m
  ON CONFLICT (huawei_account) DO UPDATE SET manager = EXCLUDED.manager
  WHERE a.manager IS DISTINCT FROM EXCLUDED.manager
