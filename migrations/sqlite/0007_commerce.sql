-- The commerce core (issue #10): the catalogue, customers, orders, payments, subscriptions,
-- fulfillments, the email outbox, the blacklist, the test gateway's vault, API keys and the
-- API's idempotency records. Money is integer minor units beside its currency code.

-- Test MIDs settle an approved sale this many hours after it (0 = at once: R-TG-3) and can
-- simulate a slow gateway for benchmarks.
ALTER TABLE mids ADD COLUMN settlement_delay_hours INTEGER NOT NULL DEFAULT 24
    CHECK (settlement_delay_hours BETWEEN 0 AND 720);
ALTER TABLE mids ADD COLUMN latency_ms INTEGER NOT NULL DEFAULT 0
    CHECK (latency_ms BETWEEN 0 AND 10000);

-- Konnektive's "PrePaid BIN Mapping": BINs the merchant knows are prepaid or debit, beside the
-- built-in table in the code (R-MID-3).
CREATE TABLE bin_ranges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bin TEXT NOT NULL UNIQUE CHECK (length(bin) = 6 AND bin NOT GLOB '*[^0-9]*'),
    card_type TEXT NOT NULL CHECK (card_type IN ('debit', 'prepaid')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    sku TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    trial_days INTEGER NULL CHECK (trial_days BETWEEN 1 AND 90),
    trial_price_minor BIGINT NULL CHECK (trial_price_minor >= 0),
    cycle_days INTEGER NULL CHECK (cycle_days BETWEEN 1 AND 365),
    shippable BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    archived_at TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((trial_days IS NULL) = (trial_price_minor IS NULL)),
    CHECK (trial_days IS NULL OR cycle_days IS NOT NULL)
);
CREATE UNIQUE INDEX products_sku_idx ON products (LOWER(sku));

CREATE TABLE product_options (
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    price_minor BIGINT NULL CHECK (price_minor >= 0),
    PRIMARY KEY (product_id, position)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    mid_id INTEGER NULL REFERENCES mids(id),
    atri_profile_id INTEGER NULL REFERENCES gateway_profiles(id),
    recycling BOOLEAN NOT NULL DEFAULT TRUE,
    welcome_subject TEXT NOT NULL DEFAULT '',
    welcome_body TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    archived_at TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Exactly one route for new sales (R-OR-1).
    CHECK ((mid_id IS NULL) <> (atri_profile_id IS NULL))
);
CREATE UNIQUE INDEX campaigns_name_idx ON campaigns (LOWER(name));
CREATE INDEX campaigns_mid_idx ON campaigns (mid_id);
CREATE INDEX campaigns_atri_idx ON campaigns (atri_profile_id);

CREATE TABLE campaign_products (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, product_id)
);
CREATE INDEX campaign_products_product_idx ON campaign_products (product_id);

CREATE TABLE campaign_notify_emails (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (campaign_id, position)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    blacklisted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_email_idx ON customers (email);
CREATE INDEX customers_phone_idx ON customers (phone);
CREATE INDEX customers_name_idx ON customers (LOWER(last_name), LOWER(first_name));

CREATE TABLE customer_addresses (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('billing', 'shipping')),
    line1 TEXT NOT NULL,
    line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL CHECK (length(country) = 2),
    PRIMARY KEY (customer_id, kind)
);

-- A card as the portal may keep it (R-TG-2): the gateway's token and what can be shown, never
-- the number or the CVV.
CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    provider TEXT NOT NULL CHECK (provider IN ('test', 'flexpay', 'flexfactor', 'flexecom')),
    token TEXT NOT NULL,
    brand TEXT NOT NULL CHECK (brand IN ('visa', 'mastercard', 'amex', 'discover', 'other')),
    card_type TEXT NOT NULL CHECK (card_type IN ('credit', 'debit', 'prepaid')),
    first6 TEXT NOT NULL CHECK (length(first6) = 6),
    last4 TEXT NOT NULL CHECK (length(last4) = 4),
    exp_month INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year INTEGER NOT NULL CHECK (exp_year BETWEEN 2000 AND 2100),
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payment_methods_customer_idx ON payment_methods (customer_id);
CREATE INDEX payment_methods_fingerprint_idx ON payment_methods (fingerprint);
CREATE INDEX payment_methods_last4_idx ON payment_methods (last4, customer_id);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    parent_order_id INTEGER NULL REFERENCES orders(id),
    payment_method_id INTEGER NULL REFERENCES payment_methods(id),
    mid_id INTEGER NULL REFERENCES mids(id),
    kind TEXT NOT NULL CHECK (kind IN ('new_sale', 'upsale', 'recurring')),
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'complete', 'declined', 'partial', 'refunded', 'cancelled')),
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    ip_address TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id, id);
CREATE INDEX orders_created_idx ON orders (created_at, id);
CREATE INDEX orders_campaign_idx ON orders (campaign_id, created_at);
CREATE INDEX orders_parent_idx ON orders (parent_order_id);

CREATE TABLE order_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products(id),
    product_name TEXT NOT NULL,
    option_name TEXT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    charged_minor BIGINT NOT NULL CHECK (charged_minor >= 0),
    trial BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

-- Why a sale went where it went: each MID tried, each decline, each skip and its reason.
CREATE TABLE order_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX order_notes_order_idx ON order_notes (order_id, id);

CREATE TABLE transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    parent_id INTEGER NULL REFERENCES transactions(id),
    mid_id INTEGER NOT NULL REFERENCES mids(id),
    payment_method_id INTEGER NULL REFERENCES payment_methods(id),
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'auth', 'capture', 'refund', 'void')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    -- pending: a refund or void reserved before its gateway call, until the answer is written.
    result TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'error', 'pending')),
    response_code TEXT NOT NULL DEFAULT '',
    response_text TEXT NOT NULL DEFAULT '',
    decline_class TEXT NULL CHECK (decline_class IN ('soft', 'hard')),
    gateway_reference TEXT NULL,
    -- Why a refund or void was made, as the agent gave it.
    reason TEXT NOT NULL DEFAULT '',
    -- R-EN-6: one charge per key, whatever crashes or races.
    idempotency_key TEXT NOT NULL UNIQUE,
    -- When the money settles (R-TG-3): a sale is settled once this has passed.
    settled_at TEXT NULL,
    created_at TEXT NOT NULL,
    CHECK ((result IN ('approved', 'pending')) = (decline_class IS NULL))
);
CREATE INDEX transactions_order_idx ON transactions (order_id, id);
CREATE INDEX transactions_parent_idx ON transactions (parent_id);
CREATE INDEX transactions_mid_idx ON transactions (mid_id, created_at);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    order_item_id INTEGER NOT NULL REFERENCES order_items(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    mid_id INTEGER NOT NULL REFERENCES mids(id),
    payment_method_id INTEGER NOT NULL REFERENCES payment_methods(id),
    status TEXT NOT NULL CHECK (status IN
        ('active', 'trial', 'paused', 'cancelled', 'recycling', 'recycle_failed')),
    option_name TEXT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    cycle_days INTEGER NOT NULL CHECK (cycle_days BETWEEN 1 AND 365),
    next_bill_at TEXT NULL,
    paused_until TEXT NULL,
    cancel_reason TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_order_idx ON subscriptions (order_id);
CREATE INDEX subscriptions_due_idx ON subscriptions (status, next_bill_at);

CREATE TABLE fulfillments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    order_item_id INTEGER NULL REFERENCES order_items(id),
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'shipped', 'delivered', 'returned', 'cancelled')),
    tracking_number TEXT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX fulfillments_order_idx ON fulfillments (order_id, id);

-- Emails are written here in the transaction that caused them and delivered later.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NULL REFERENCES customers(id),
    order_id INTEGER NULL REFERENCES orders(id),
    kind TEXT NOT NULL CHECK (kind IN ('welcome', 'refund', 'void', 'refund_failed')),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT NULL
);
CREATE INDEX outbox_customer_idx ON outbox (customer_id, id);
CREATE INDEX outbox_pending_idx ON outbox (status, id);

-- R-OR-4 / R-CS-5: what a blacklisted customer is recognised by.
CREATE TABLE blacklist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NULL REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'fingerprint')),
    value TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX blacklist_customer_idx ON blacklist (customer_id);

-- The test gateway's own storage (R-TG-2, R-TG-4): per token the scenario and counts, never
-- the number; per idempotency key the first answer.
CREATE TABLE test_gateway_tokens (
    token TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    charges INTEGER NOT NULL DEFAULT 0,
    refund_attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE test_gateway_requests (
    idempotency_key TEXT PRIMARY KEY,
    mid_id INTEGER NOT NULL REFERENCES mids(id),
    operation TEXT NOT NULL CHECK (operation IN ('sale', 'refund', 'void')),
    token TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'error')),
    response_code TEXT NOT NULL,
    response_text TEXT NOT NULL,
    advice_code TEXT NULL,
    reference TEXT NOT NULL UNIQUE,
    -- The sale a refund or void reverses.
    parent_reference TEXT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX test_gateway_requests_parent_idx ON test_gateway_requests (parent_reference);

-- Keys for the order API: shown once, stored as a SHA-256 of the random secret.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_by INTEGER NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_used_at TEXT NULL,
    revoked_at TEXT NULL
);

-- An API call is attributed to its key in the event log.
ALTER TABLE events ADD COLUMN api_key_id INTEGER NULL REFERENCES api_keys(id);

-- Idempotency-Key replay: the first answer to (key, Idempotency-Key), with a hash of the
-- request it answered. `status` is NULL while the first request is still running.
CREATE TABLE api_requests (
    api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NULL,
    response_body TEXT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);

-- The permissions this issue adds (catalogue.manage, orders.enter, api_keys.manage) join the
-- list a stored permission must be one of.
DROP TRIGGER role_permissions_permission_check_insert;
DROP TRIGGER role_permissions_permission_check_update;
CREATE TRIGGER role_permissions_permission_check_insert BEFORE INSERT ON role_permissions
WHEN NEW.permission NOT IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
    'decline_mapping.manage', 'reports.view', 'catalogue.manage', 'orders.enter',
    'customers.view', 'customers.act', 'customers.blacklist', 'users.manage', 'roles.manage',
    'events.view', 'api_keys.manage')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: role_permissions_permission_check'); END;
CREATE TRIGGER role_permissions_permission_check_update BEFORE UPDATE OF permission ON role_permissions
WHEN NEW.permission NOT IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
    'decline_mapping.manage', 'reports.view', 'catalogue.manage', 'orders.enter',
    'customers.view', 'customers.act', 'customers.blacklist', 'users.manage', 'roles.manage',
    'events.view', 'api_keys.manage')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: role_permissions_permission_check'); END;
