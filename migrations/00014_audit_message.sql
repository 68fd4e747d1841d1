-- Issue 13: an audit entry's description also as messages of the console's
-- files (ids and values, store.AuditMessage), so that each reader reads it in
-- their language. The log is append-only: rows written before keep their
-- English text alone, and are shown as written.
-- +goose Up
ALTER TABLE audit_log ADD COLUMN message jsonb;

-- +goose Down
SELECT 'down migrations are not supported';
