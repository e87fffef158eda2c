package vouchers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/rules"
)

// device is the machine behind a deviceId, with its location and groups
// (UserGroup is also the scope check of a cached device).
type device struct {
	fleet.MachineContext
}

// resolveDevice returns the machine whose hostname is deviceID, read as the
// hot path reads it (deviceSQL). A device may only speak for itself; a
// manager for any machine it can see. Returns EINVALID, EFORBIDDEN.
func (s *Service) resolveDevice(ctx context.Context, sc models.Scope, deviceID string) (*device, error) {
	if err := checkDeviceID(sc, deviceID); err != nil {
		return nil, err
	}
	var d *device
	err := s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		var err error
		d, _, err = scanDevice(c.QueryRow(ctx, deviceSQL, pgx.NamedArgs{"device": deviceID, "groups": groupsOf(sc)}))
		return err
	})
	if err != nil {
		return nil, pg.MapError(err)
	}
	if d == nil {
		return nil, forbiddenDevice(deviceID)
	}
	return d, nil
}

// groupsOf returns the scope's groups, never empty (an empty IN list is a
// syntax error).
func groupsOf(sc models.Scope) []int64 {
	if len(sc.Groups) == 0 {
		return []int64{-1}
	}
	return sc.Groups
}

func (d *device) place() Place {
	return Place{MachineID: d.ID, Hostname: d.Hostname, MachineGroups: d.MachineGroups,
		LocationID: d.Location, LocationExternalRef: d.ExternalRef, LocationGroups: d.LocationGroups}
}

// requester names who asked, for the voucher logs.
func requester(sc models.Scope, deviceID string) string {
	if sc.IsDevice() {
		return deviceID
	}
	return fmt.Sprintf("user:%d as %s", sc.UserID, deviceID)
}

func (d *device) locationLabel() string {
	return strconv.FormatInt(d.Location, 10) + " " + d.LocationName
}

// env returns the redemption rules' environment.
func (d *device) env(t *target, st Settings, cnt Counters, o *Order, dm *Demand, now time.Time) *rules.RedemptionEnv {
	e := &rules.RedemptionEnv{
		Device:  rules.Device{ID: d.Hostname},
		Machine: rules.Machine{ID: d.ID, Name: d.Name, Hostname: d.Hostname, Tag: d.Tag, MachineGroups: d.MachineGroups},
		Location: rules.Location{ID: d.Location, Name: d.LocationName, City: d.City, Country: d.Country,
			ExternalRef: d.ExternalRef, TimeZone: d.TimeZone, LocationGroups: d.LocationGroups},
		Voucher: rules.Voucher{ID: t.V.ID, Code: t.V.Code, Type: t.V.Type, Value: st.Value, Balance: Balance(st, cnt),
			RedemptionCount: cnt.RedemptionCount, RedemptionLimit: st.RedemptionLimit,
			AmountRedeemed: cnt.AmountRedeemed, TotalRedemptionCount: t.V.TotalRedemptionCount},
		Campaign: rules.Campaign{ID: t.C.ID, Name: t.C.Name, Type: t.C.Type},
		Now:      now.In(st.Location),
	}
	if o != nil {
		e.Order = rules.Order{ID: o.ID, Amount: o.Total()}
		for _, it := range o.Items {
			e.Order.Items = append(e.Order.Items, rules.OrderItem{ProductID: it.ProductID, Quantity: it.Quantity, Price: it.Price})
		}
	}
	if dm != nil {
		e.Demand = rules.Demand{Amount: dm.Amount}
	}
	return e
}

// target is a voucher with its campaign.
type target struct {
	V models.Voucher
	C models.Campaign
	// version is the xmin of the voucher row read: the redeem's UPDATE
	// matches only that row version.
	version uint32
	// campaignVersion is the xmin of the campaign row read: a group write
	// happens only while the campaign is still that version.
	campaignVersion uint32
}

// loadTarget reads the voucher with code that sc can see, and its campaign;
// lock takes the voucher's row lock. found is false for an unknown code.
func loadTarget(ctx context.Context, tx *gorm.DB, sc models.Scope, code string, lock bool) (*target, bool, error) {
	q := `SELECT * FROM vouchers WHERE code = ? AND user_group IN ?`
	if lock {
		q += ` FOR UPDATE`
	}
	var vs []models.Voucher
	if err := tx.WithContext(ctx).Raw(q, code, groupsOf(sc)).Scan(&vs).Error; err != nil {
		return nil, false, pg.MapError(err)
	}
	if len(vs) == 0 {
		return nil, false, nil
	}
	t := &target{V: vs[0]}
	err := tx.WithContext(ctx).Raw(`SELECT * FROM campaigns WHERE id = ?`, t.V.Campaign).Scan(&t.C).Error
	return t, true, pg.MapError(err)
}
