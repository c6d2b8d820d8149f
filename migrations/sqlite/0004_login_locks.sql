-- One row per throttled key ("ip:..." or "email:..."). A sign-in locks its two rows while it
-- counts recent failures and records its own attempt, so concurrent sign-ins for one account or
-- address are counted one after another and at most the limit of them reach the password check.
CREATE TABLE login_locks (
    key TEXT PRIMARY KEY,
    touched_at TEXT NOT NULL
);
