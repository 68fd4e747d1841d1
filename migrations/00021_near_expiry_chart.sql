-- Issue 14, the near-expiry chart at a million devices (store/near_expiry_chart.go).
-- Each blacklist entry
-- keeps the expiry of its device's code while the device is live (not lapsed,
-- not deleted; NULL otherwise, or with no device), so that the chart and the
-- devices due to renew read the blacklisted devices expiring within the window
-- from one range of an index instead of probing every blacklisted device
-- (5,349 probes of devices for the bench's large account). A blacklisted device
-- does not renew, so its entry changes rarely: when its device appears, lapses,
-- is deleted or comes back. Kept by triggers on both tables, which fire ALWAYS
-- (a bulk load runs as replica: migration 00017).
--
-- Races: an entry is added under a share lock of its device and its product's
-- lock (SetBlacklisted, in the ledger's order: device, then product). A change
-- of an existing device waits for the first or is waited for; a device that
-- gets its first code does so under its product's lock (consumeCode,
-- activateNew). Either way the trigger of the later one runs after the other
-- committed, and its statement (READ COMMITTED: a snapshot each) sees it.
-- +goose Up

-- No device or entry changes while the expiries are copied.
LOCK TABLE devices, blacklist IN SHARE MODE;

ALTER TABLE blacklist ADD COLUMN expires_at timestamptz;

-- +goose StatementBegin
CREATE FUNCTION devices_blacklist_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A device's key is unique among devices, and its entry's (product_id, device_key).
    IF TG_OP = 'INSERT' THEN
        UPDATE blacklist b SET expires_at = x.e FROM (
            SELECT product_id, device_key, CASE WHEN lapsed_at IS NULL AND deleted_at IS NULL THEN expires_at END AS e FROM new_rows) x
        WHERE b.product_id = x.product_id AND b.device_key = x.device_key AND b.expires_at IS DISTINCT FROM x.e;
    ELSIF TG_OP = 'UPDATE' THEN
        -- The new rows, and the old keys of rows whose key changed (no statement of the console changes one).
        UPDATE blacklist b SET expires_at = x.e FROM (
            SELECT product_id, device_key, CASE WHEN lapsed_at IS NULL AND deleted_at IS NULL THEN expires_at END AS e FROM new_rows
            UNION ALL
            SELECT o.product_id, o.device_key, NULL FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (n.product_id, n.device_key) <> (o.product_id, o.device_key)) x
        WHERE b.product_id = x.product_id AND b.device_key = x.device_key AND b.expires_at IS DISTINCT FROM x.e;
    ELSE
        UPDATE blacklist b SET expires_at = NULL FROM old_rows o
        WHERE b.product_id = o.product_id AND b.device_key = o.device_key AND b.expires_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER devices_blacklist_expiry_insert AFTER INSERT ON devices REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_blacklist_expiry();
CREATE TRIGGER devices_blacklist_expiry_update AFTER UPDATE ON devices REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_blacklist_expiry();
CREATE TRIGGER devices_blacklist_expiry_delete AFTER DELETE ON devices REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_blacklist_expiry();

-- +goose StatementBegin
CREATE FUNCTION blacklist_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The device's key is unique: one probe of devices_product_id_device_key_key.
    -- With the live conditions in WHERE the planner took devices_product_expiry,
    -- whose predicate they match, and read every live device of the product.
    NEW.expires_at := (SELECT CASE WHEN d.lapsed_at IS NULL AND d.deleted_at IS NULL THEN d.expires_at END
        FROM devices d WHERE d.product_id = NEW.product_id AND d.device_key = NEW.device_key);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER blacklist_expiry BEFORE INSERT OR UPDATE OF product_id, device_key ON blacklist
    FOR EACH ROW EXECUTE FUNCTION blacklist_expiry();

ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_blacklist_expiry_insert;
ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_blacklist_expiry_update;
ALTER TABLE devices ENABLE ALWAYS TRIGGER devices_blacklist_expiry_delete;
ALTER TABLE blacklist ENABLE ALWAYS TRIGGER blacklist_expiry;

-- The entries there are already.
UPDATE blacklist b SET expires_at = d.expires_at FROM devices d
WHERE d.product_id = b.product_id AND d.device_key = b.device_key AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
    AND d.expires_at IS NOT NULL;

-- An account's blacklisted devices expiring in a window: one range.
CREATE INDEX blacklist_account_expiry ON blacklist (account_id, expires_at) INCLUDE (product_id) WHERE expires_at IS NOT NULL;

ANALYZE blacklist;

-- The products that may be at risk in the chart of a whole account: every
-- product's counters up to the window's last day, from one range of the
-- account's product rows instead of a range per product (1,948 for the bench's
-- large account).
CREATE INDEX expiry_counts_account_products ON expiry_counts (account_id, dc, day) INCLUDE (product_id, devices)
    WHERE product_id <> 0;
ANALYZE expiry_counts;

-- +goose Down
SELECT 'down migrations are not supported';
