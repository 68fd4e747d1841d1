-- Resource alerts by e-mail (SPEC section 9): alert conditions noted per product in the transaction of their cause, and the outbox a sender empties.
-- +goose Up

-- One row per product and trigger. The ledger operation that causes an alert
-- (or the worker's evaluation) raises it in its own transaction; the digest
-- turns an account's raised rows into one outbox mail and clears them, in one
-- transaction. last_sent_at is the 24-hour throttle of each (trigger, product).
CREATE TABLE alert_events (
    product_id   bigint NOT NULL REFERENCES products,
    trigger      text NOT NULL CHECK (trigger IN ('low_codes', 'shortfall', 'refused', 'lapsed')),
    account_id   bigint NOT NULL REFERENCES accounts,
    raised_at    timestamptz,                                  -- pending since; NULL: nothing to send
    lapses       bigint NOT NULL DEFAULT 0 CHECK (lapses >= 0), -- devices lapsed since the last mail (trigger lapsed)
    last_sent_at timestamptz,
    PRIMARY KEY (product_id, trigger)
);
-- The digest's queue: the few raised rows, by account.
CREATE INDEX alert_events_raised ON alert_events (account_id, raised_at) WHERE raised_at IS NOT NULL;

-- One mailbox address, nothing more: no display name, no second address, no
-- line break that could smuggle a header. The store checks the same before
-- it writes; this is the last line.
-- +goose StatementBegin
CREATE FUNCTION mail_addresses_ok(addrs text[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(bool_and(length(a) <= 254 AND a ~ '^[^[:space:][:cntrl:]<>(),;:"\\\[\]@]+@[^[:space:][:cntrl:]<>(),;:"\\\[\]@.]+(\.[^[:space:][:cntrl:]<>(),;:"\\\[\]@.]+)+$'), false)
    FROM unnest(addrs) AS a
$$;
-- +goose StatementEnd

-- Mails waiting to go out, and the delivery log. A row moves
-- queued -> claimed (a sender took it, lease claimed_at, claim_token)
--        -> sending (committed just before the SMTP transaction starts)
--        -> sent | queued again (the server refused it: retry with backoff) | failed (out of attempts)
--        |  unknown (the sender died or lost the server's answer mid-transaction: never re-sent by itself).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    kind            text NOT NULL CHECK (kind IN ('alert', 'test')),
    dedupe_key      text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    recipients      text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 51 AND mail_addresses_ok(recipients)),
    subject         text NOT NULL CHECK (subject <> '' AND length(subject) <= 200 AND subject !~ '[\r\n]'),
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'unknown')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    claim_token     text,
    claimed_at      timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status NOT IN ('claimed', 'sending') OR (claim_token IS NOT NULL AND claimed_at IS NOT NULL))
);
-- The sender's queue, and the leases it checks for senders that died.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_leased ON outbox (claimed_at) WHERE status IN ('claimed', 'sending');
-- The delivery log on the recipients page, newest first.
CREATE INDEX outbox_account ON outbox (account_id, created_at DESC, id DESC);

-- +goose Down
SELECT 'down migrations are not supported';
