-- +goose Up
-- A start date (validFrom, a date like expiresOn, in the voucher's time
-- zone): before it a voucher answers not_yet_valid. A voucher's NULL
-- inherits its campaign's, as for expires_on.
ALTER TABLE campaigns ADD COLUMN valid_from text;
ALTER TABLE vouchers ADD COLUMN valid_from text;

-- Codes are stored upper-case and a device's code is upper-cased before it is
-- looked up (vouchers.CanonicalCode), so that lower case typed on a keypad
-- finds the voucher through the unique index on (tenant, code). Existing
-- codes with lower case are upper-cased, except where another code of the
-- tenant differs only by case: both keep their case, the upper-case one is
-- the one devices reach (see docs/vouchers.md, "Codes").
UPDATE vouchers v SET code = upper(v.code)
WHERE v.code <> upper(v.code)
  AND NOT EXISTS (SELECT 1 FROM vouchers o
                  WHERE o.tenant = v.tenant AND o.id <> v.id AND upper(o.code) = upper(v.code));
UPDATE vouchers SET prefix = upper(prefix) WHERE prefix <> upper(prefix);
UPDATE campaigns SET prefix = upper(prefix) WHERE prefix <> upper(prefix);

-- +goose Down
ALTER TABLE vouchers DROP COLUMN valid_from;
ALTER TABLE campaigns DROP COLUMN valid_from;
