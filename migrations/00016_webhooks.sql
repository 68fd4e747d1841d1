-- Webhooks for license events (issue 15; docs/webhooks.md): an account's endpoints, and the outbox of signed deliveries written in the ledger's transactions.
-- +goose Up

-- An endpoint of an account. created_by is the person who registered it:
-- like an alert recipient, the endpoint hears only about the products that
-- person may see at the time of each event (docs/webhooks.md, "Who hears what").
-- secret signs every delivery (Standard Webhooks, whsec_ + base64); during a
-- rotation the previous secret signs too, until previous_until.
CREATE TABLE webhook_endpoints (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    url             text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    events          text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY['device.activated', 'device.renewed',
                        'device.lapsed', 'device.refused', 'product.codes_low', 'product.shortfall', 'codes.assigned', 'codes.purchased']),
    enabled         boolean NOT NULL DEFAULT true,
    secret          text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]+=*$'),
    previous_secret text CHECK (previous_secret ~ '^whsec_[A-Za-z0-9+/]+=*$'),
    previous_until  timestamptz,
    created_by      bigint REFERENCES users,
    created_at      timestamptz NOT NULL,
    failing_since   timestamptz,  -- the first failed attempt since the last success
    disabled_reason text CHECK (disabled_reason IN ('failing')),
    CHECK ((previous_secret IS NULL) = (previous_until IS NULL))
);
-- The ledger's lookup: an account's enabled endpoints.
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id) WHERE enabled;

-- One event for one endpoint: its body's data, and the state of its delivery.
-- pending -> delivering (a deliverer claimed it: claim_token, lease claimed_at)
--         -> delivered | pending again (retry after a backoff) | failed (24 hours of retries spent).
-- A deliverer that died leaves a lease that runs out: the event is pending
-- again and goes once more, with the same id (at least once).
CREATE TABLE webhook_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    account_id      bigint NOT NULL, -- the endpoint's: its foreign key says it, and the ledger's inserts skip a second check
    type            text NOT NULL,
    device_id       bigint,        -- a device's events go out in order
    data            jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    claim_token     text,
    claimed_at      timestamptz,
    last_attempt_at timestamptz,
    last_status     integer,       -- the HTTP status of the last attempt; NULL: no answer
    last_latency_ms integer,
    last_error      text CHECK (length(last_error) <= 1100),
    last_response   text CHECK (length(last_response) <= 300), -- a short excerpt of the answer, never more
    delivered_at    timestamptz,
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
    CHECK (status <> 'delivering' OR (claim_token IS NOT NULL AND claimed_at IS NOT NULL))
);
-- The deliverers' queue, the leases they check, a device's earlier events
-- still on their way, and the page's recent deliveries of an endpoint.
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_events_leased ON webhook_events (claimed_at) WHERE status = 'delivering';
CREATE INDEX webhook_events_device ON webhook_events (endpoint_id, device_id, id) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_events_endpoint ON webhook_events (endpoint_id, id DESC);
-- The janitor's: finished events past their keeping.
CREATE INDEX webhook_events_finished ON webhook_events (created_at) WHERE status IN ('delivered', 'failed');

-- A time in a payload: RFC 3339 in UTC, whatever the session's time zone.
-- +goose StatementBegin
CREATE FUNCTION webhook_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
-- +goose StatementEnd

-- +goose Down
SELECT 'down migrations are not supported';
