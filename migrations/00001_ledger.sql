-- The activation-code ledger of SPEC sections 1-5 and 12: the database itself refuses what the rules forbid.
-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE data_centers (
    code text PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO data_centers (code, name) VALUES
    ('cn-shanghai', 'China (Shanghai)'),
    ('eu-frankfurt', 'Germany (Frankfurt)');

-- The package catalog: what one code grants a device.
CREATE TABLE packages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code             text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name             text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    validity         interval NOT NULL CHECK (validity > interval '0'),
    messages_per_day integer NOT NULL CHECK (messages_per_day > 0),
    ota_per_month    integer NOT NULL DEFAULT 1 CHECK (ota_per_month >= 0),
    ota_size_mb      integer NOT NULL DEFAULT 5 CHECK (ota_size_mb > 0),
    storage_days     integer NOT NULL DEFAULT 7 CHECK (storage_days >= 0),
    is_default       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- Free grants (SPEC 2) come from the one default package.
CREATE UNIQUE INDEX packages_one_default ON packages (is_default) WHERE is_default;
INSERT INTO packages (code, name, validity, messages_per_day, ota_per_month, ota_size_mb, storage_days, is_default) VALUES
    ('std-1y', 'Standard, 1 year', '1 year', 1500, 1, 5, 7, true),
    ('std-5y', 'Standard, 5 years', '5 years', 1500, 1, 5, 7, false);

CREATE TABLE accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    type            text NOT NULL CHECK (type IN ('enterprise', 'individual')),
    home_dc         text NOT NULL REFERENCES data_centers,
    alert_threshold integer NOT NULL DEFAULT 10 CHECK (alert_threshold >= 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Owners and sub-accounts belong to an account; support staff to none.
CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint REFERENCES accounts,
    role            text NOT NULL CHECK (role IN ('owner', 'member', 'support')),
    email           text NOT NULL CHECK (email LIKE '%_@_%'),
    name            text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    manage_licenses boolean NOT NULL DEFAULT false,
    all_products    boolean NOT NULL DEFAULT true,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'support') = (account_id IS NULL))
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE UNIQUE INDEX users_one_owner ON users (account_id) WHERE role = 'owner';

-- Platform API tokens, kept as SHA-256 of the secret.
CREATE TABLE api_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name <> ''),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A product holds its codes as counters kept in step with the rows below:
-- assigned = available + consumed + forfeited, none negative.
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts,
    dc          text NOT NULL REFERENCES data_centers,
    product_key text NOT NULL CHECK (product_key ~ '^[A-Za-z0-9._-]{1,64}$'),
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    package_id  bigint REFERENCES packages,
    auto_renew  boolean NOT NULL DEFAULT true,
    assigned    bigint NOT NULL DEFAULT 0 CHECK (assigned >= 0),
    available   bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
    consumed    bigint NOT NULL DEFAULT 0 CHECK (consumed >= 0),
    forfeited   bigint NOT NULL DEFAULT 0 CHECK (forfeited >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CHECK (assigned = available + consumed + forfeited),
    CHECK (package_id IS NOT NULL OR assigned = 0),
    CHECK (deleted_at IS NULL OR available = 0),
    CHECK (deleted_at IS NOT NULL OR forfeited = 0)
);
-- A ProductKey is unique on the platform among the products that exist.
CREATE UNIQUE INDEX products_key ON products (product_key) WHERE deleted_at IS NULL;
CREATE INDEX products_account ON products (account_id, dc, id) WHERE deleted_at IS NULL;

-- One package per product, fixed by the first assignment; codes are never
-- taken back, so assigned and consumed only grow.
-- +goose StatementBegin
CREATE FUNCTION products_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.package_id IS NOT NULL AND NEW.package_id IS DISTINCT FROM OLD.package_id THEN
        RAISE EXCEPTION 'product %: its package is fixed', OLD.product_key USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.assigned < OLD.assigned OR NEW.consumed < OLD.consumed OR NEW.forfeited < OLD.forfeited THEN
        RAISE EXCEPTION 'product %: codes are never returned', OLD.product_key USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'product %: deleted products do not change', OLD.product_key USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.account_id <> OLD.account_id OR NEW.dc <> OLD.dc OR NEW.product_key <> OLD.product_key THEN
        RAISE EXCEPTION 'product %: owner, data center and key are fixed', OLD.product_key USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER products_guard BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION products_guard();

-- The unassigned balance of one account, DC and package:
-- purchased + granted = unassigned + assigned.
CREATE TABLE pools (
    account_id bigint NOT NULL REFERENCES accounts,
    dc         text NOT NULL REFERENCES data_centers,
    package_id bigint NOT NULL REFERENCES packages,
    purchased  bigint NOT NULL DEFAULT 0 CHECK (purchased >= 0),
    granted    bigint NOT NULL DEFAULT 0 CHECK (granted >= 0),
    unassigned bigint NOT NULL DEFAULT 0 CHECK (unassigned >= 0),
    assigned   bigint NOT NULL DEFAULT 0 CHECK (assigned >= 0),
    PRIMARY KEY (account_id, dc, package_id),
    CHECK (purchased + granted = unassigned + assigned)
);

-- Where codes come from (SPEC 2): purchases by order number and free grants.
CREATE TABLE credits (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('purchase', 'grant')),
    order_no   text UNIQUE CHECK (order_no ~ '^[A-Za-z0-9._/-]{1,64}$'),
    account_id bigint NOT NULL REFERENCES accounts,
    dc         text NOT NULL REFERENCES data_centers,
    package_id bigint NOT NULL REFERENCES packages,
    quantity   bigint NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    product_id bigint REFERENCES products,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'purchase') = (order_no IS NOT NULL))
);
CREATE UNIQUE INDEX credits_one_grant ON credits (account_id) WHERE kind = 'grant';

-- Every assignment to a product, from the console or from a purchase with a PK.
CREATE TABLE assignments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    dc         text NOT NULL REFERENCES data_centers,
    product_id bigint NOT NULL REFERENCES products,
    package_id bigint NOT NULL REFERENCES packages,
    quantity   bigint NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    user_id    bigint REFERENCES users,
    operator   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_history ON assignments (account_id, dc, created_at DESC, id DESC);
CREATE INDEX assignments_product ON assignments (product_id);

-- A device of a product. The columns after device_key mirror its latest
-- activation so that lists and the connect path read one row.
CREATE TABLE devices (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    dc              text NOT NULL REFERENCES data_centers,
    product_id      bigint NOT NULL REFERENCES products,
    device_key      text NOT NULL CHECK (device_key ~ '^[A-Za-z0-9._-]{1,64}$'),
    activated_at    timestamptz,
    expires_at      timestamptz,
    last_kind       text CHECK (last_kind IN ('first', 'renewal', 'manual')),
    activations     integer NOT NULL DEFAULT 0 CHECK (activations >= 0),
    waiting_since   timestamptz,
    lapsed_at       timestamptz,
    lapse_reason    text CHECK (lapse_reason IN ('blacklisted', 'auto_renew_off', 'no_activation_code')),
    deleted_at      timestamptz,
    last_connect_at timestamptz,
    last_connect_dc text REFERENCES data_centers,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, device_key),
    CHECK ((activated_at IS NULL) = (expires_at IS NULL)),
    CHECK ((activated_at IS NULL) = (activations = 0)),
    CHECK ((lapsed_at IS NULL) = (lapse_reason IS NULL)),
    CHECK (lapsed_at IS NULL OR expires_at IS NOT NULL)
);
-- The renewal worker's queue: live devices by expiry.
CREATE INDEX devices_due ON devices (expires_at) WHERE lapsed_at IS NULL AND deleted_at IS NULL;
CREATE INDEX devices_product_expiry ON devices (product_id, expires_at) WHERE lapsed_at IS NULL AND deleted_at IS NULL;
CREATE INDEX devices_account_expiry ON devices (account_id, dc, expires_at) WHERE lapsed_at IS NULL AND deleted_at IS NULL;
CREATE INDEX devices_waiting ON devices (account_id, dc, waiting_since) WHERE waiting_since IS NOT NULL AND deleted_at IS NULL;

-- Devices that must not auto-renew (SPEC 5); a DK may be listed before it connects.
CREATE TABLE blacklist (
    account_id bigint NOT NULL REFERENCES accounts,
    product_id bigint NOT NULL REFERENCES products,
    device_key text NOT NULL CHECK (device_key ~ '^[A-Za-z0-9._-]{1,64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, device_key)
);

-- One consumed code each. A device's activations never overlap.
CREATE TABLE activations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts,
    product_id   bigint NOT NULL REFERENCES products,
    device_id    bigint NOT NULL REFERENCES devices,
    kind         text NOT NULL CHECK (kind IN ('first', 'renewal', 'manual')),
    activated_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > activated_at),
    EXCLUDE USING gist (device_id WITH =, tstzrange(activated_at, expires_at) WITH &&)
);
CREATE INDEX activations_device ON activations (device_id, activated_at);
CREATE INDEX activations_product_recent ON activations (product_id, created_at);

-- Every change and sign-in, per account.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users,
    actor       text NOT NULL,
    type        text NOT NULL,
    operation   text NOT NULL,
    description text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_account ON audit_log (account_id, at DESC, id DESC);

-- Records are history: the database refuses to rewrite them.
-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER credits_append_only BEFORE UPDATE OR DELETE ON credits FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assignments_append_only BEFORE UPDATE OR DELETE ON assignments FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER activations_append_only BEFORE UPDATE OR DELETE ON activations FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
-- Forward only: the ledger is never rolled back.
SELECT 'down migrations are not supported';
