-- Users, roles, sessions, login throttling and the event log.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role_id INTEGER NOT NULL REFERENCES roles(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_role_idx ON users (role_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip TEXT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id INTEGER NULL REFERENCES users(id),
    actor_label TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT NULL,
    after_json TEXT NULL,
    ip TEXT NULL
);
CREATE INDEX events_at_idx ON events (at);
CREATE INDEX events_kind_idx ON events (kind, at);
CREATE INDEX events_actor_idx ON events (actor_id, at);

INSERT INTO roles (name, description, builtin, created_at) VALUES
    ('admin', 'Everything, including users, roles and the event log', TRUE, '2026-01-01T00:00:00+00:00'),
    ('merchant', 'MIDs, gateways, recycle billing, decline mapping and reports', TRUE, '2026-01-01T00:00:00+00:00'),
    ('cs_admin', 'Customer service, including blacklisting', TRUE, '2026-01-01T00:00:00+00:00'),
    ('cs_agent', 'Customer service without blacklisting', TRUE, '2026-01-01T00:00:00+00:00');
