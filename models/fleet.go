package models

import (
	"regexp"
	"time"
)

// Location is a site where machines stand. TimeZone governs opening hours.
type Location struct {
	Base
	Name        string      `json:"name"`
	Address     string      `json:"address"`
	Postcode    string      `json:"postcode"`
	City        string      `json:"city"`
	Country     string      `json:"country"`
	Latitude    *Coordinate `json:"latitude"`
	Longitude   *Coordinate `json:"longitude"`
	PlaceID     string      `json:"placeId"`
	ExternalRef string      `json:"externalRef"`
	TimeZone    string      `json:"timeZone"`
	// LocationGroups, when sent, sets the location groups holding the
	// location (membership is stored on the groups).
	LocationGroups *IDList `json:"locationGroups,omitempty" gorm:"-"`
}

// ReadOnlyFields adds the seed's activeShift, which vendrule does not keep.
func (l *Location) ReadOnlyFields() []string { return locationReadOnly }

var locationReadOnly = readOnly("activeShift")

// Memberships returns the location groups the body names.
func (l *Location) Memberships() []Membership {
	return []Membership{{Field: "locationGroups", Table: "location_groups", Column: "locations", IDs: l.LocationGroups}}
}

// Validate checks the required fields and the time zone; a blank time zone
// becomes Europe/Amsterdam.
func (l *Location) Validate() error {
	if l.TimeZone == "" {
		l.TimeZone = "Europe/Amsterdam"
	}
	if _, err := time.LoadLocation(l.TimeZone); err != nil || l.TimeZone == "Local" {
		return FieldError("timeZone", "unknown time zone %q", l.TimeZone)
	}
	return firstError(required("name", l.Name), required("address", l.Address),
		required("postcode", l.Postcode), required("city", l.City), required("country", l.Country))
}

// Refs returns the location groups the body names.
func (l *Location) Refs() []Ref { return membershipRefs(l.Memberships()) }

// LocationGroup groups locations.
type LocationGroup struct {
	Base
	Name      string `json:"name"`
	Locations IDList `json:"locations" gorm:"type:bigint[]"`
}

// Validate checks the required fields.
func (g *LocationGroup) Validate() error { return required("name", g.Name) }

// Refs returns the member locations.
func (g *LocationGroup) Refs() []Ref {
	return []Ref{{Field: "locations", Table: "locations", IDs: g.Locations}}
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// Machine is a vending machine. Hostname identifies it as a device.
type Machine struct {
	Base
	Name          string   `json:"name"`
	Hostname      string   `json:"hostname"`
	Location      int64    `json:"location"`
	MachineModel  *int64   `json:"machineModel"`
	MachineType   *int64   `json:"machineType"`
	Manufacturer  *int64   `json:"manufacturer"`
	Currency      Currency `json:"currency"`
	Debtor        *int64   `json:"debtor"`
	Tag           string   `json:"tag"`
	Notes         string   `json:"notes"`
	VirtualPrices Bool     `json:"virtualPrices"`
	Active        Bool     `json:"active"`

	// The newest event and sale by occurredAt, with their times: kept by
	// ingestion, never written through the API (<-:false), nil until the
	// machine's first one.
	LastLog                  *int64     `json:"lastLog" gorm:"<-:false"`
	LastLogAt                *time.Time `json:"lastLogAt" gorm:"<-:false"`
	LastRevenuetransaction   *int64     `json:"lastRevenuetransaction" gorm:"<-:false"`
	LastRevenuetransactionAt *time.Time `json:"lastRevenuetransactionAt" gorm:"<-:false"`
	// MachineGroups, when sent, sets the machine groups holding the
	// machine (membership is stored on the groups).
	MachineGroups *IDList `json:"machineGroups,omitempty" gorm:"-"`
}

// machineReadOnly are the seed's machine fields that its server derives
// (last items, sync state) or that belong to features vendrule does not
// have (gateways, assortment, configuration, subscriptions).
var machineReadOnly = readOnly("gateway", "lastRevenuetransaction", "lastLog", "lastIotevent", "logSynced",
	"revenuetransactionSynced", "ioteventSynced", "ruleSet", "lastSoldId", "isManagedAssortment",
	"configState", "transactionProfile", "hasSubscription")

// ReadOnlyFields returns the fields a machine body may carry but not set.
func (m *Machine) ReadOnlyFields() []string { return machineReadOnly }

// Memberships returns the machine groups the body names.
func (m *Machine) Memberships() []Membership {
	return []Membership{{Field: "machineGroups", Table: "machine_groups", Column: "machines", IDs: m.MachineGroups}}
}

// Validate checks the required fields and the currency; a blank currency
// becomes EUR.
func (m *Machine) Validate() error {
	if m.Currency == "" {
		m.Currency = "EUR"
	}
	return firstError(checkCurrency("currency", m.Currency), required("name", m.Name),
		required("hostname", m.Hostname), requiredID("location", m.Location))
}

// Refs returns the location, model, type, manufacturer and machine groups.
// The debtor is the back office's own reference and is not checked.
func (m *Machine) Refs() []Ref {
	return append([]Ref{
		{Field: "location", Table: "locations", IDs: []int64{m.Location}},
		{Field: "machineModel", Table: "machine_models", IDs: IDs(m.MachineModel)},
		{Field: "machineType", Table: "machine_types", IDs: IDs(m.MachineType)},
		{Field: "manufacturer", Table: "manufacturers", IDs: IDs(m.Manufacturer)},
	}, membershipRefs(m.Memberships())...)
}

// MachineGroup groups machines.
type MachineGroup struct {
	Base
	Name     string `json:"name"`
	Machines IDList `json:"machines" gorm:"type:bigint[]"`
}

// Validate checks the required fields.
func (g *MachineGroup) Validate() error { return required("name", g.Name) }

// Refs returns the member machines.
func (g *MachineGroup) Refs() []Ref {
	return []Ref{{Field: "machines", Table: "machines", IDs: g.Machines}}
}

// Manufacturer makes machines.
type Manufacturer struct {
	Base
	Name         string `json:"name"`
	MachineTypes IDList `json:"machineTypes" gorm:"type:bigint[]"`
}

// Validate checks the required fields.
func (m *Manufacturer) Validate() error { return required("name", m.Name) }

// Refs returns the machine types.
func (m *Manufacturer) Refs() []Ref {
	return []Ref{{Field: "machineTypes", Table: "machine_types", IDs: m.MachineTypes}}
}

// MachineType is a kind of machine (coffee, snacks, …).
type MachineType struct {
	Base
	Name string `json:"name"`
}

// Validate checks the required fields.
func (t *MachineType) Validate() error { return required("name", t.Name) }

// Refs returns no references.
func (t *MachineType) Refs() []Ref { return nil }

// MachineModel is a manufacturer's model; its error profile maps raw codes.
type MachineModel struct {
	Base
	Name         string `json:"name"`
	Manufacturer int64  `json:"manufacturer"`
	ErrorProfile int64  `json:"errorProfile"`
	MachineType  *int64 `json:"machineType"`
}

// ReadOnlyFields adds the seed's image, which vendrule does not keep.
func (m *MachineModel) ReadOnlyFields() []string { return machineModelReadOnly }

var machineModelReadOnly = readOnly("image")

// Validate checks the required fields.
func (m *MachineModel) Validate() error {
	return firstError(required("name", m.Name), requiredID("manufacturer", m.Manufacturer),
		requiredID("errorProfile", m.ErrorProfile))
}

// Refs returns the manufacturer, error profile and machine type.
func (m *MachineModel) Refs() []Ref {
	return []Ref{
		{Field: "manufacturer", Table: "manufacturers", IDs: []int64{m.Manufacturer}},
		{Field: "errorProfile", Table: "error_profiles", IDs: []int64{m.ErrorProfile}},
		{Field: "machineType", Table: "machine_types", IDs: IDs(m.MachineType)},
	}
}

// ErrorProfile is a set of raw error codes of one kind of machine.
type ErrorProfile struct {
	Base
	Name         string `json:"name"`
	MachineType  int64  `json:"machineType"`
	Manufacturer int64  `json:"manufacturer"`
}

// Validate checks the required fields.
func (p *ErrorProfile) Validate() error {
	return firstError(required("name", p.Name), requiredID("machineType", p.MachineType),
		requiredID("manufacturer", p.Manufacturer))
}

// Refs returns the machine type and manufacturer.
func (p *ErrorProfile) Refs() []Ref {
	return []Ref{
		{Field: "machineType", Table: "machine_types", IDs: []int64{p.MachineType}},
		{Field: "manufacturer", Table: "manufacturers", IDs: []int64{p.Manufacturer}},
	}
}

// ErrorIdentity is an error as observers know it, whatever the raw code.
type ErrorIdentity struct {
	Base
	MachineType int64  `json:"machineType"`
	Error       string `json:"error"`
}

// TableName names the table.
func (ErrorIdentity) TableName() string { return "error_identities" }

// Validate checks the required fields.
func (e *ErrorIdentity) Validate() error {
	return firstError(requiredID("machineType", e.MachineType), required("error", e.Error))
}

// Refs returns the machine type.
func (e *ErrorIdentity) Refs() []Ref {
	return []Ref{{Field: "machineType", Table: "machine_types", IDs: []int64{e.MachineType}}}
}

// ErrorCode maps a raw code of an error profile to an error identity.
type ErrorCode struct {
	Base
	ErrorIdentity int64  `json:"errorIdentity"`
	ErrorProfile  int64  `json:"errorProfile"`
	Code          string `json:"code"`
}

// Validate checks the required fields.
func (e *ErrorCode) Validate() error {
	return firstError(requiredID("errorIdentity", e.ErrorIdentity),
		requiredID("errorProfile", e.ErrorProfile), required("code", e.Code))
}

// Refs returns the error identity and profile.
func (e *ErrorCode) Refs() []Ref {
	return []Ref{
		{Field: "errorIdentity", Table: "error_identities", IDs: []int64{e.ErrorIdentity}},
		{Field: "errorProfile", Table: "error_profiles", IDs: []int64{e.ErrorProfile}},
	}
}

// SetDefaults makes a new machine active with currency EUR.
func (m *Machine) SetDefaults() {
	m.Active = true
	m.Currency = "EUR"
}

// SetDefaults gives a new location the default time zone.
func (l *Location) SetDefaults() { l.TimeZone = "Europe/Amsterdam" }
