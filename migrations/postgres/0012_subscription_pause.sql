-- Purchase details (issue #11, R-CS-7): what pausing, force billing and its declines leave on a
-- subscription. The status CHECK already holds 'paused', and `paused_until` is there from 0007.

-- The status a paused subscription goes back to when it is resumed.
ALTER TABLE subscriptions ADD COLUMN paused_from TEXT NULL CHECK (paused_from IN ('active', 'trial'));
-- The last declined charge of the subscription (a force bill, a skipped trial; salvage of it
-- arrives with the engine), recorded as a transaction on its order. Cleared by an approval.
ALTER TABLE subscriptions ADD COLUMN last_decline_transaction_id BIGINT NULL REFERENCES transactions(id);
-- A bill under way: the one-time key of the request charging the card, so two bills of one
-- subscription never run at once. A claim older than a few minutes is a crashed request's.
ALTER TABLE subscriptions ADD COLUMN billing_claim TEXT NULL;
ALTER TABLE subscriptions ADD COLUMN billing_claimed_at TIMESTAMPTZ NULL;
