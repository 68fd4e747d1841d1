-- Tenant scope in alert mail (docs/SECURITY.md): a recipient receives only what the user who added it may see, and test alerts are counted per sender.
-- +goose Up

-- Who added the recipient; NULL: the account itself (the owner before adders
-- were recorded, the demo, the platform), which sees every product.
ALTER TABLE alert_recipients ADD COLUMN added_by bigint REFERENCES users;

-- Recipients added before this migration: every addition was audited with
-- its user, so the adder is the user of the closest "recipient add" row that
-- names the address. Rows without one were not added through the console.
UPDATE alert_recipients r SET added_by = (
    SELECT l.user_id FROM audit_log l
    WHERE l.account_id = r.account_id AND l.operation = 'recipient add' AND l.user_id IS NOT NULL
        AND (lower(l.description) = lower('added ' || r.email || ' to the alert recipients')
            OR lower(l.description) LIKE 'added %' AND right(lower(l.description), length(r.email) + 26) = lower('<' || r.email || '> to the alert recipients'))
    ORDER BY abs(extract(epoch FROM l.at - r.created_at)), l.id DESC
    LIMIT 1);
CREATE INDEX alert_recipients_added_by ON alert_recipients (added_by);

-- The products an alert mail names (the delivery log shows a scoped
-- sub-account only mails within its scope); NULL for a test alert.
ALTER TABLE outbox ADD COLUMN product_ids bigint[];
-- Who asked for a test alert: the per-user limit counts these.
ALTER TABLE outbox ADD COLUMN sent_by bigint REFERENCES users;
CREATE INDEX outbox_tests ON outbox (account_id, created_at) WHERE kind = 'test';

-- +goose Down
SELECT 'down migrations are not supported';
