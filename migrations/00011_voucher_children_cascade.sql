-- +goose Up
-- The device hot path, continued (docs/vouchers.md, "Foreign keys on the
-- hot tables").
--
-- Every redemption and voucher log row checked its foreign key to vouchers
-- with a query of its own (FOR KEY SHARE on the voucher row): three per
-- validate+redeem pair, ~12 % of the pair's throughput in A/B runs on fresh
-- databases. The rows are written only by the engine, for the voucher it
-- has just read or (redemptions, redeem logs) is updating in the same
-- statement, so the check guards nothing but a voucher deleted at the same
-- moment. The keys are dropped; what they did on delete, ON DELETE
-- CASCADE, becomes a statement-level trigger: deleting vouchers (directly,
-- or through their campaign's cascade) deletes their redemptions and logs
-- in the same transaction, with one statement per table for the whole set.
ALTER TABLE redemptions DROP CONSTRAINT redemptions_voucher_fkey;
ALTER TABLE voucher_logs DROP CONSTRAINT voucher_logs_voucher_fkey;

-- +goose StatementBegin
CREATE FUNCTION vouchers_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM redemptions WHERE voucher IN (SELECT id FROM gone);
    DELETE FROM voucher_logs WHERE voucher IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER vouchers_deleted AFTER DELETE ON vouchers
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION vouchers_deleted();

-- +goose Down
DROP TRIGGER vouchers_deleted ON vouchers;
DROP FUNCTION vouchers_deleted();
DELETE FROM voucher_logs l WHERE NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.id = l.voucher);
DELETE FROM redemptions r WHERE NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.id = r.voucher);
ALTER TABLE voucher_logs ADD CONSTRAINT voucher_logs_voucher_fkey
    FOREIGN KEY (voucher) REFERENCES vouchers (id) ON DELETE CASCADE;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_voucher_fkey
    FOREIGN KEY (voucher) REFERENCES vouchers (id) ON DELETE CASCADE;
