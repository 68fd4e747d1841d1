-- Issue 16, renewals: the renewal worker's queue in the order it takes devices (expiry, then id), so that a batch reads its
-- thousand devices off the front of the index instead of every due device, sorted, for every batch (the bitmap scan
-- read all 100,000 due devices 200 times in a pass of 100,000 simultaneous expiries).
-- And bulk loads: the triggers that keep the maintained counts and guard the ledger's history fire ALWAYS, also in a
-- session with session_replication_role = replica, which a bulk load (console seed) uses to skip the per-row
-- foreign-key checks and then checks the keys once, set-based (store/bulk_load.go): the counts it gets are the
-- triggers' own. (The console uses no logical replication, the one other user of that mode.)
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_due_order ON devices (expires_at, id) WHERE lapsed_at IS NULL AND deleted_at IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS devices_due;

ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_expiry_counts_insert;
ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_expiry_counts_update;
ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_expiry_counts_delete;
ALTER TABLE activations ENABLE ALWAYS TRIGGER activations_consumption_days;
ALTER TABLE activations ENABLE ALWAYS TRIGGER activations_append_only;
ALTER TABLE credits ENABLE ALWAYS TRIGGER credits_append_only;
ALTER TABLE assignments ENABLE ALWAYS TRIGGER assignments_append_only;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE products ENABLE ALWAYS TRIGGER products_guard;

-- +goose Down
SELECT 'down migrations are not supported';
