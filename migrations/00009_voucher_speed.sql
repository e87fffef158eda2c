-- +goose Up
-- The device hot path (docs/vouchers.md, "Speed").
--
-- redemptions.user_group, redemptions.campaign and voucher_logs.user_group
-- are denormalised scoping columns: the engine copies them from the voucher
-- row it has just read or updated (vouchers.user_group, vouchers.campaign),
-- so they cannot name a group or campaign the voucher does not. Their
-- foreign keys checked nothing the voucher's own keys do not already, but
-- each check took FOR KEY SHARE on the same tenant user_groups and
-- campaigns rows from every device at once (MultiXacts, ~1.4 per
-- validate+redeem pair). They are dropped; the columns and their indexes
-- stay. Deletes behave as before: the voucher keys remain (ON DELETE
-- CASCADE), so deleting a campaign deletes its vouchers and through them
-- their redemptions and logs, and a user group that still has vouchers
-- cannot be deleted (vouchers keep their key to user_groups), which is the
-- only way a group can have redemptions or logs.
ALTER TABLE redemptions DROP CONSTRAINT redemptions_user_group_fkey;
ALTER TABLE redemptions DROP CONSTRAINT redemptions_campaign_fkey;
ALTER TABLE voucher_logs DROP CONSTRAINT voucher_logs_user_group_fkey;

-- A redeem updates only unindexed voucher columns (counters, amounts,
-- period, last redemption, lock, updated_at); room on each page lets those
-- updates be HOT (no new index entries, pruned in place).
ALTER TABLE vouchers SET (fillfactor = 70);

-- +goose Down
ALTER TABLE vouchers RESET (fillfactor);
ALTER TABLE voucher_logs ADD CONSTRAINT voucher_logs_user_group_fkey
    FOREIGN KEY (user_group) REFERENCES user_groups (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_campaign_fkey
    FOREIGN KEY (campaign) REFERENCES campaigns (id) ON DELETE CASCADE;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_user_group_fkey
    FOREIGN KEY (user_group) REFERENCES user_groups (id);
