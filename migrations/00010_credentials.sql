-- Issue 11, credentials: an API token can be revoked (a leaked one stops working) and tells when it was last used, so an operator knows which are alive.
-- +goose Up
ALTER TABLE api_tokens ADD COLUMN revoked_at timestamptz, ADD COLUMN last_used_at timestamptz;

-- +goose Down
SELECT 'down migrations are not supported';
