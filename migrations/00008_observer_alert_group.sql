-- +goose Up
-- Observers name an alert group of their tenant; deleting the group leaves
-- the observer without one.
UPDATE alert_observers o SET alert_group = NULL
WHERE alert_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM alert_groups g WHERE g.id = o.alert_group);
ALTER TABLE alert_observers ADD CONSTRAINT alert_observers_alert_group_fkey
    FOREIGN KEY (alert_group) REFERENCES alert_groups (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE alert_observers DROP CONSTRAINT alert_observers_alert_group_fkey;
