-- Issue 16: reads past one server, and the ledger kept ready to be spread by
-- account (docs/scaling.md).
-- +goose Up

-- After a person's change the session remembers the primary's WAL position;
-- its reads go to the primary until a standby has replayed that far
-- (store/standbys.go).
ALTER TABLE sessions ADD COLUMN wrote_lsn pg_lsn;

-- A sub-account's chosen products carry their account, as every tenant table
-- does, so that distributed by account they stay beside the products.
ALTER TABLE user_products ADD COLUMN account_id bigint REFERENCES accounts;
UPDATE user_products up SET account_id = p.account_id FROM products p WHERE p.id = up.product_id;
ALTER TABLE user_products ALTER COLUMN account_id SET NOT NULL;

-- +goose Down
SELECT 'down migrations are not supported';
