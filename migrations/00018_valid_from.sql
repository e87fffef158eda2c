-- +goose Up
-- A start date (validFrom, a date like expiresOn, in the voucher's time
-- zone): before it a voucher answers not_yet_valid. A voucher's NULL
-- inherits its campaign's, as for expires_on.
ALTER TABLE campaigns ADD COLUMN valid_from text;
ALTER TABLE vouchers ADD COLUMN valid_from text;

-- +goose Down
ALTER TABLE vouchers DROP COLUMN valid_from;
ALTER TABLE campaigns DROP COLUMN valid_from;
