package rules

import "time"

// RedemptionEnv is the environment of redemption rules and dynamic voucher
// values. Expressions see its fields under the names in the expr tags; the
// JSON tags are the same so that a sample environment for Check uses the
// names a manager writes.
type RedemptionEnv struct {
	Device   Device    `expr:"device" json:"device"`
	Machine  Machine   `expr:"machine" json:"machine"`
	Location Location  `expr:"location" json:"location"`
	Order    Order     `expr:"order" json:"order"`
	Demand   Demand    `expr:"demand" json:"demand"`
	Voucher  Voucher   `expr:"voucher" json:"voucher"`
	Campaign Campaign  `expr:"campaign" json:"campaign"`
	Now      time.Time `expr:"now" json:"now"`
}

// Device is the device that asks for a redemption.
type Device struct {
	ID string `expr:"id" json:"id"` // the device id, the machine's hostname
}

// Machine is the vending machine a device belongs to.
type Machine struct {
	ID            int64   `expr:"id" json:"id"`
	Name          string  `expr:"name" json:"name"`
	Hostname      string  `expr:"hostname" json:"hostname"`
	Tag           string  `expr:"tag" json:"tag"`
	MachineGroups []int64 `expr:"machineGroups" json:"machineGroups"`
}

// Location is where a machine stands.
type Location struct {
	ID             int64   `expr:"id" json:"id"`
	Name           string  `expr:"name" json:"name"`
	City           string  `expr:"city" json:"city"`
	Country        string  `expr:"country" json:"country"`
	ExternalRef    string  `expr:"externalRef" json:"externalRef"`
	TimeZone       string  `expr:"timeZone" json:"timeZone"`
	LocationGroups []int64 `expr:"locationGroups" json:"locationGroups"`
}

// Order is the order a voucher is redeemed for. Amounts are in cents.
type Order struct {
	ID     string      `expr:"id" json:"id"`
	Amount int64       `expr:"amount" json:"amount"`
	Items  []OrderItem `expr:"items" json:"items"`
}

// OrderItem is one line of an order. Price is in cents per unit.
type OrderItem struct {
	ProductID string `expr:"productId" json:"productId"`
	Quantity  int64  `expr:"quantity" json:"quantity"`
	Price     int64  `expr:"price" json:"price"`
}

// Demand is what the device asks the voucher to pay, in cents.
type Demand struct {
	Amount int64 `expr:"amount" json:"amount"`
}

// Voucher is the voucher being redeemed. Value, Balance and AmountRedeemed
// are in cents.
type Voucher struct {
	ID                   string `expr:"id" json:"id"`
	Code                 string `expr:"code" json:"code"`
	Type                 string `expr:"type" json:"type"`
	Value                int64  `expr:"value" json:"value"`
	Balance              int64  `expr:"balance" json:"balance"`
	RedemptionCount      int64  `expr:"redemptionCount" json:"redemptionCount"`
	RedemptionLimit      int64  `expr:"redemptionLimit" json:"redemptionLimit"`
	AmountRedeemed       int64  `expr:"amountRedeemed" json:"amountRedeemed"`
	TotalRedemptionCount int64  `expr:"totalRedemptionCount" json:"totalRedemptionCount"`
}

// Campaign is the campaign a voucher belongs to.
type Campaign struct {
	ID   int64  `expr:"id" json:"id"`
	Name string `expr:"name" json:"name"`
	Type string `expr:"type" json:"type"`
}

// ConditionEnv is the environment of alert conditions. An observer fills in
// Event for machine events and Transaction for sales; the other one is left
// zero.
type ConditionEnv struct {
	Event       Event       `expr:"event" json:"event"`
	Transaction Transaction `expr:"transaction" json:"transaction"`
	Machine     Machine     `expr:"machine" json:"machine"`
	Location    Location    `expr:"location" json:"location"`
}

// Event is a machine event such as an error report. ResolvedAt is the zero
// time while the event is unresolved.
type Event struct {
	Code          string         `expr:"code" json:"code"`
	ErrorIdentity int64          `expr:"errorIdentity" json:"errorIdentity"`
	Type          int64          `expr:"type" json:"type"`
	ExtraData     map[string]any `expr:"extraData" json:"extraData"`
	OccurredAt    time.Time      `expr:"occurredAt" json:"occurredAt"`
	ResolvedAt    time.Time      `expr:"resolvedAt" json:"resolvedAt"`
}

// Transaction is a sale reported by a machine. Prices are in cents.
type Transaction struct {
	Name       string    `expr:"name" json:"name"`
	Product    int64     `expr:"product" json:"product"`
	Price      int64     `expr:"price" json:"price"`
	Currency   string    `expr:"currency" json:"currency"`
	Payments   []Payment `expr:"payments" json:"payments"`
	Methods    []string  `expr:"methods" json:"methods"`
	OccurredAt time.Time `expr:"occurredAt" json:"occurredAt"`
}

// Payment is one payment of a transaction.
type Payment struct {
	Method string `expr:"method" json:"method"`
	Type   string `expr:"type" json:"type"`
	Price  int64  `expr:"price" json:"price"`
}
