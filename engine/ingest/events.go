package ingest

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// IngestEvents validates a batch of events as a whole and stores the ones
// not stored before for the same (machine, remote). Returns EINVALID naming
// the item ("[3].occurredAt") when any item is wrong, in which case nothing
// is stored, and EFORBIDDEN when a device names another machine.
func (s *Service) IngestEvents(ctx context.Context, sc models.Scope, in []models.EventInput) (Result, error) {
	if err := checkSize(len(in)); err != nil {
		return Result{}, err
	}
	events, err := s.prepareEvents(ctx, sc, in)
	if err != nil {
		return Result{}, err
	}
	b := &Batch{Scope: sc}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if b.Events, err = insertEvents(ctx, tx, events); err != nil {
			return err
		}
		if b.Resolved, err = resolveEvents(ctx, tx, b.Events); err != nil {
			return err
		}
		applyResolutions(b.Events, b.Resolved)
		return s.stored(ctx, tx, b)
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Stored: len(b.Events), Duplicates: len(events) - len(b.Events)}, nil
}

// prepareEvents validates every item, binds it to its machine and fills in
// what comes from the machine.
func (s *Service) prepareEvents(ctx context.Context, sc models.Scope, in []models.EventInput) ([]models.Event, error) {
	events := make([]models.Event, len(in))
	ids := make([]int64, len(in))
	for i := range in {
		e, err := in[i].Event()
		if err != nil {
			return nil, models.PrefixError(err, fmt.Sprintf("[%d].", i))
		}
		if e.Machine, err = machineOf(sc, i, in[i].Machine); err != nil {
			return nil, err
		}
		events[i], ids[i] = e, e.Machine
	}
	ms, err := s.resolveMachines(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	return events, s.fillFromMachines(ctx, events, ms)
}

// fillFromMachines sets each event's tenant, location and time zone from its
// machine, and maps its raw code to an error identity through the error
// profile of the machine's model (nil when the code is not mapped).
func (s *Service) fillFromMachines(ctx context.Context, events []models.Event, ms map[int64]machine) error {
	var profiles []int64
	var codes []string
	for _, e := range events {
		if p := ms[e.Machine].ErrorProfile; p != nil {
			profiles, codes = append(profiles, *p), append(codes, e.Code)
		}
	}
	idents, err := s.errorIdentities(ctx, distinct(profiles), distinct(codes))
	if err != nil {
		return err
	}
	for i := range events {
		e, m := &events[i], ms[events[i].Machine]
		e.UserGroup, e.Location, e.TimeZone = m.UserGroup, m.Location, m.TimeZone
		if m.ErrorProfile != nil {
			if id, ok := idents[profileCode{*m.ErrorProfile, e.Code}]; ok {
				e.ErrorIdentity = &id
			}
		}
	}
	return nil
}

var eventColumns = []string{"user_group", "machine", "location", "remote", "code", "error_identity", "type",
	"is_resolvable", "occurred_at", "time_zone", "duration", "extra_data", "resolved_at", "state"}

// machineRemote is the idempotency key of an item.
type machineRemote struct{ machine, remote int64 }

// insertEvents inserts events, skipping those already stored, and returns
// the new ones with their ids.
func insertEvents(ctx context.Context, tx *gorm.DB, events []models.Event) ([]models.Event, error) {
	return insertNew(ctx, tx, "logs", eventColumns, events, func(e *models.Event) (machineRemote, []any) {
		return machineRemote{e.Machine, e.Remote}, []any{e.UserGroup, e.Machine, e.Location, e.Remote, e.Code,
			e.ErrorIdentity, e.Type, e.IsResolvable, e.OccurredAt, e.TimeZone, e.Duration, e.ExtraData,
			e.ResolvedAt, e.State}
	})
}
