-- The product details page (SPEC section 6.4) lists a product's devices by expiry, those without a code last, or by DK while one is searched.
-- +goose NO TRANSACTION
-- +goose Up
-- The list by expiry: coalesce puts devices that never got a code after every dated one, in one index range.
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_product_list ON devices (product_id, (coalesce(expires_at, 'infinity'::timestamptz)), id)
    WHERE deleted_at IS NULL;
-- The list while a DK is searched: a case-insensitive prefix is a range, in DK order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_product_key ON devices (product_id, (lower(device_key) COLLATE "C"), id)
    WHERE deleted_at IS NULL;
-- The devices waiting for a code, few among many, in the list's order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS devices_product_waiting ON devices (product_id, (coalesce(expires_at, 'infinity'::timestamptz)), id)
    WHERE waiting_since IS NOT NULL AND deleted_at IS NULL;

-- +goose Down
SELECT 'down migrations are not supported';
