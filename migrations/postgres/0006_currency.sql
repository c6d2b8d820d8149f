-- Amounts carry their currency: a MID's monthly cap is in the MID's currency (the column came
-- with the MIDs table and now holds only known codes), a recycle profile's minimum price and
-- flat reductions in the profile's.
ALTER TABLE mids ADD CONSTRAINT mids_currency_check
    CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD'));
ALTER TABLE recycle_profiles ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD'
    CHECK (currency IN ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'BHD'));
