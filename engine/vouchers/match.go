package vouchers

import (
	"slices"
	"strconv"

	"github.com/vendrule/vendrule/models"
)

// Place is where a device stands, as validation rules see it.
type Place struct {
	MachineID           int64
	Hostname            string
	MachineGroups       []int64
	LocationID          int64
	LocationExternalRef string
	LocationGroups      []int64
}

// MatchPlace reports whether the place satisfies the rules: rules of one
// field are OR'ed, different fields AND'ed. Product rules do not restrict
// the place; EligibleAmount applies them.
func MatchPlace(rules models.ValidationRules, p Place) bool {
	byField := map[string][]string{}
	for _, r := range rules {
		if r.Field != "product" {
			byField[r.Field] = append(byField[r.Field], r.Value)
		}
	}
	for field, values := range byField {
		if !slices.ContainsFunc(values, func(v string) bool { return p.matches(field, v) }) {
			return false
		}
	}
	return true
}

func (p Place) matches(field, v string) bool {
	switch field {
	case "location":
		return v == strconv.FormatInt(p.LocationID, 10)
	case "locationExternalRef":
		return v != "" && v == p.LocationExternalRef
	case "locationGroup":
		return containsID(p.LocationGroups, v)
	case "machine":
		return v == strconv.FormatInt(p.MachineID, 10) || v == p.Hostname
	case "machineGroup":
		return containsID(p.MachineGroups, v)
	}
	return false
}

func containsID(ids []int64, v string) bool {
	id, err := strconv.ParseInt(v, 10, 64)
	return err == nil && slices.Contains(ids, id)
}

// Products returns the PLUs the product rules allow (validate's
// validFor.products), or nil when there are no product rules.
func Products(rules models.ValidationRules) map[string]bool {
	var out map[string]bool
	for _, r := range rules {
		if r.Field == "product" {
			if out == nil {
				out = map[string]bool{}
			}
			out[r.Value] = true
		}
	}
	return out
}
