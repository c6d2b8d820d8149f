-- Customer service (issue #11): the customer's history (agents' notes and automatic entries),
-- the merchant's refund and cancellation reasons, the refund queue (R-CS-4), and what cancels,
-- reships and pauses leave behind.

-- The History panel of a customer's profile: notes an agent wrote, and entries the services add
-- when something happens to the customer (refund issued, subscription cancelled, email sent).
CREATE TABLE customer_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('note', 'refund', 'void', 'order', 'subscription',
        'fulfillment', 'email', 'profile', 'blacklist', 'refund_queue')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    order_id BIGINT NULL REFERENCES orders(id),
    author_id BIGINT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_history_customer_idx ON customer_history (customer_id, id);

-- Konnektive's "Cancellation Reasons, Refund Reasons": lists the merchant edits, offered to
-- agents as the reason of a refund or a cancellation.
CREATE TABLE reasons (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('refund', 'cancel')),
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    position BIGINT NOT NULL,
    archived_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX reasons_label_idx ON reasons (kind, LOWER(label));
INSERT INTO reasons (kind, label, position, created_at) VALUES
    ('refund', 'Customer request', 1, '2026-01-01T00:00:00+00:00'),
    ('refund', 'Product not received', 2, '2026-01-01T00:00:00+00:00'),
    ('refund', 'Product damaged or defective', 3, '2026-01-01T00:00:00+00:00'),
    ('refund', 'Billing error', 4, '2026-01-01T00:00:00+00:00'),
    ('refund', 'Chargeback prevention', 5, '2026-01-01T00:00:00+00:00'),
    ('cancel', 'Too expensive', 1, '2026-01-01T00:00:00+00:00'),
    ('cancel', 'No longer needed', 2, '2026-01-01T00:00:00+00:00'),
    ('cancel', 'Not satisfied with the product', 3, '2026-01-01T00:00:00+00:00'),
    ('cancel', 'Did not know it was a subscription', 4, '2026-01-01T00:00:00+00:00'),
    ('cancel', 'Other', 5, '2026-01-01T00:00:00+00:00');

-- R-CS-4: a refund the gateway failed, retried once a day for 3 days. `transaction_id` is the
-- charge being refunded; each try is a refund transaction of its own.
CREATE TABLE refund_queue (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES transactions(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')),
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('queued', 'refunded', 'failed', 'removed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_try_at TIMESTAMPTZ NULL,
    requested_by BIGINT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'queued') = (next_try_at IS NOT NULL))
);
CREATE INDEX refund_queue_due_idx ON refund_queue (status, next_try_at);
CREATE INDEX refund_queue_transaction_idx ON refund_queue (transaction_id);

ALTER TABLE orders ADD COLUMN cancel_reason TEXT NULL;
ALTER TABLE orders ADD COLUMN cancelled_at TIMESTAMPTZ NULL;
ALTER TABLE subscriptions ADD COLUMN cancelled_at TIMESTAMPTZ NULL;
-- A trial the agent restarted or skipped keeps its count of billed cycles honest.
ALTER TABLE subscriptions ADD COLUMN cycles_billed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fulfillments ADD COLUMN reshipped_from BIGINT NULL REFERENCES fulfillments(id);

-- jobs.manage opens /admin/jobs.
ALTER TABLE role_permissions DROP CONSTRAINT role_permissions_permission_check;
ALTER TABLE role_permissions ADD CONSTRAINT role_permissions_permission_check
    CHECK (permission IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
    'decline_mapping.manage', 'reports.view', 'catalogue.manage', 'orders.enter',
    'customers.view', 'customers.act', 'customers.blacklist', 'users.manage', 'roles.manage',
    'events.view', 'api_keys.manage', 'jobs.manage'));
