-- Recycle billing (decline salvage) profiles, SPEC 4.2.
CREATE TABLE recycle_profiles (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    bill_on_fridays BOOLEAN NOT NULL DEFAULT FALSE,
    reduction_type TEXT NOT NULL CHECK (reduction_type IN ('percent', 'flat')),
    minimum_price_minor BIGINT NOT NULL DEFAULT 0 CHECK (minimum_price_minor >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX recycle_profiles_name_idx ON recycle_profiles (LOWER(name));

CREATE TABLE recycle_profile_attempts (
    profile_id BIGINT NOT NULL REFERENCES recycle_profiles(id) ON DELETE CASCADE,
    number BIGINT NOT NULL CHECK (number BETWEEN 1 AND 10),
    skip BOOLEAN NOT NULL,
    reduction BIGINT NOT NULL DEFAULT 0 CHECK (reduction >= 0),
    wait_days BIGINT NOT NULL DEFAULT 0 CHECK (wait_days BETWEEN 0 AND 90),
    PRIMARY KEY (profile_id, number)
);

-- Block 1..4; a NULL MID means "the original MID".
CREATE TABLE recycle_profile_blocks (
    profile_id BIGINT NOT NULL REFERENCES recycle_profiles(id) ON DELETE CASCADE,
    block BIGINT NOT NULL CHECK (block BETWEEN 1 AND 4),
    mid_id BIGINT NULL REFERENCES mids(id),
    PRIMARY KEY (profile_id, block)
);

-- R-RB-1: a MID is in at most one profile's Apply to Merchants, enforced by the database too.
CREATE TABLE recycle_profile_mids (
    profile_id BIGINT NOT NULL REFERENCES recycle_profiles(id) ON DELETE CASCADE,
    mid_id BIGINT NOT NULL UNIQUE REFERENCES mids(id),
    PRIMARY KEY (profile_id, mid_id)
);
