-- Issue 15: a mail the console only wrote to its log, because no mail server
-- is configured, was recorded as 'sent', and the delivery log said "Sent".
-- It now has a status of its own, 'logged', with the time it was written
-- (sent_at). Rows marked before keep 'sent': which of them went to the log
-- was not recorded.
-- +goose Up
ALTER TABLE outbox
    DROP CONSTRAINT outbox_status_check,
    ADD CONSTRAINT outbox_status_check
        CHECK (status IN ('queued', 'claimed', 'sending', 'sent', 'logged', 'failed', 'unknown')),
    DROP CONSTRAINT outbox_check,
    ADD CONSTRAINT outbox_sent_at_check CHECK ((status IN ('sent', 'logged')) = (sent_at IS NOT NULL));

-- +goose Down
SELECT 'down migrations are not supported';
