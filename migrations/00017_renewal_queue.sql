-- Issue 16, renewals: the renewal worker's queue in the order it takes devices (expiry, then id), so that a batch reads its
-- thousand devices off the front of the index instead of every due device, sorted, for every batch (the bitmap scan
-- read all 100,000 due devices 200 times in a pass of 100,000 simultaneous expiries).
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_due_order ON devices (expires_at, id) WHERE lapsed_at IS NULL AND deleted_at IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS devices_due;

-- +goose Down
SELECT 'down migrations are not supported';
