-- +goose Up
-- Machines whose active flag flipped since the last tick. The tick resolves
-- their firing alerts without a notice, then parks their watches (inactive)
-- or starts them afresh from the tick's time (active again); it reads the
-- machine's current flag, so several flips between two ticks count once.
CREATE TABLE alert_machine_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine    bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION alert_machine_active_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_machine_changes (machine) VALUES (NEW.id);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER alert_machine_active_changed AFTER UPDATE OF active ON machines
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION alert_machine_active_changed();

-- A flip touches the watches of one machine; without this it scans them all.
CREATE INDEX alert_watches_machine ON alert_watches (machine);

-- +goose Down
DROP INDEX alert_watches_machine;
DROP TRIGGER alert_machine_active_changed ON machines;
DROP FUNCTION alert_machine_active_changed();
DROP TABLE alert_machine_changes;
