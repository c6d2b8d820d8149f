-- Amounts carry their currency: a MID's monthly cap is in the MID's currency (the column came
-- with the MIDs table and now holds only known codes), a recycle profile's minimum price and
-- flat reductions in the profile's. SQLite cannot add a CHECK to an existing column: triggers.
CREATE TRIGGER mids_currency_check_insert BEFORE INSERT ON mids
WHEN NEW.currency NOT IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mids_currency_check'); END;
CREATE TRIGGER mids_currency_check_update BEFORE UPDATE OF currency ON mids
WHEN NEW.currency NOT IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mids_currency_check'); END;
ALTER TABLE recycle_profiles ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD'
    CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD'));
