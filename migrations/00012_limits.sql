-- Issue 11: the support search by DeviceKey reads an index instead of every device, and the janitor finds sign-in failures past the throttle window by time.
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_device_key ON devices (device_key);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sign_in_failures_at ON sign_in_failures (at);

-- +goose Down
SELECT 'down migrations are not supported';
