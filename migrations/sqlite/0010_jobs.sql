-- Background jobs (issue #11): work the portal does later or again, kept in the database so a
-- job is enqueued in the same transaction as the change that calls for it (an email with the
-- refund that caused it) and survives a restart. The pattern of Oban, River and
-- graphile-worker: workers claim due rows, hold a lease, and a job whose worker died is claimed
-- again once its lease has run out.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('deliver_email', 'retry_refund', 'resume_subscription')),
    -- The job's arguments as JSON (ids only: the job reads the current state when it runs).
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- Runs started, counting the one running now; the job fails for good at max_attempts.
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts BIGINT NOT NULL CHECK (max_attempts >= 1),
    run_at TEXT NOT NULL,
    locked_by TEXT NULL,
    locked_until TEXT NULL,
    last_error TEXT NULL,
    -- At most one job per key (one retry per refund-queue attempt, say): enqueueing it twice
    -- is a no-op.
    unique_key TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT NULL,
    CHECK ((status = 'running') = (locked_until IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key);
-- What the workers poll: due queued jobs, and running ones whose lease ran out.
CREATE INDEX jobs_due_idx ON jobs (status, run_at);
CREATE INDEX jobs_lease_idx ON jobs (status, locked_until);
