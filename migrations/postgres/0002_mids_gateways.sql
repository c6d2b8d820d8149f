-- MIDs, their encrypted credentials, routing profiles and decline message mapping.
CREATE TABLE gateway_profiles (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('atri', 'cascade')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX gateway_profiles_name_idx ON gateway_profiles (LOWER(name));

CREATE TABLE mids (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    cs_phone TEXT NOT NULL DEFAULT '',
    cs_email TEXT NOT NULL DEFAULT '',
    descriptor TEXT NOT NULL DEFAULT '',
    monthly_cap_minor BIGINT NULL CHECK (monthly_cap_minor > 0),
    currency TEXT NOT NULL DEFAULT 'USD',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    block_prepaid BOOLEAN NOT NULL DEFAULT FALSE,
    block_debit BOOLEAN NOT NULL DEFAULT FALSE,
    accept_echeck BOOLEAN NOT NULL DEFAULT FALSE,
    accept_visa BOOLEAN NOT NULL DEFAULT FALSE,
    accept_mastercard BOOLEAN NOT NULL DEFAULT FALSE,
    accept_amex BOOLEAN NOT NULL DEFAULT FALSE,
    accept_discover BOOLEAN NOT NULL DEFAULT FALSE,
    expiry_days BIGINT NULL CHECK (expiry_days BETWEEN 1 AND 21),
    cascade_all BOOLEAN NOT NULL DEFAULT FALSE,
    cascade_profile_id BIGINT NULL REFERENCES gateway_profiles(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX mids_title_idx ON mids (LOWER(title));
-- R-GW-4: at most one MID takes every initial-sale soft decline.
CREATE UNIQUE INDEX mids_one_cascade_all_idx ON mids (cascade_all) WHERE cascade_all = TRUE;

CREATE TABLE mid_credentials (
    mid_id BIGINT NOT NULL REFERENCES mids(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    key_id TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    PRIMARY KEY (mid_id, field)
);

CREATE TABLE gateway_profile_mids (
    profile_id BIGINT NOT NULL REFERENCES gateway_profiles(id) ON DELETE CASCADE,
    mid_id BIGINT NOT NULL REFERENCES mids(id),
    weight BIGINT NOT NULL DEFAULT 1 CHECK (weight > 0),
    position BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (profile_id, mid_id)
);
CREATE INDEX gateway_profile_mids_mid_idx ON gateway_profile_mids (mid_id);

CREATE TABLE decline_mappings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NULL,
    response_code TEXT NOT NULL DEFAULT '',
    response_text TEXT NOT NULL DEFAULT '',
    class TEXT NOT NULL CHECK (class IN ('soft', 'hard')),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (response_code <> '' OR response_text <> '')
);
