-- +goose Up
-- A machine keeps the seed's debtor: the back office's own reference to
-- who is billed for the machine. vendrule has no debtors resource, so the
-- number is stored as the client sent it and never checked.
ALTER TABLE machines ADD COLUMN debtor bigint;

-- +goose Down
ALTER TABLE machines DROP COLUMN debtor;
