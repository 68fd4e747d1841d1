-- Issue 16: reads past one server. After a person's change the session
-- remembers the primary's WAL position, and its reads go to the primary until
-- a standby has replayed that far (store/standbys.go, docs/scaling.md).
-- +goose Up
ALTER TABLE sessions ADD COLUMN wrote_lsn pg_lsn;

-- +goose Down
SELECT 'down migrations are not supported';
