// Package rules compiles and evaluates the expressions managers write:
// redemption rules, dynamic voucher values and alert conditions. Expressions
// use the expr language (github.com/expr-lang/expr); docs/rules.md is the
// manager's guide.
//
// # Kinds and environments
//
// A redemption rule (KindRedemption) must be a bool and a dynamic value
// (KindValue) a number of cents; both see a RedemptionEnv:
//
//	device    id
//	machine   id, name, hostname, tag, machineGroups
//	location  id, name, city, country, externalRef, timeZone, locationGroups
//	order     id, amount, items (each productId, quantity, price)
//	demand    amount
//	voucher   id, code, type, value, balance, redemptionCount,
//	          redemptionLimit, amountRedeemed, totalRedemptionCount
//	campaign  id, name, type
//	now       the current time in the voucher's time zone
//
// An alert condition (KindCondition) must be a bool and sees a ConditionEnv:
//
//	event        code, errorIdentity, type, extraData (a map), occurredAt,
//	             resolvedAt (zero while unresolved)
//	transaction  name, product, price, currency, payments (each method, type,
//	             price), methods, occurredAt
//	machine      as above
//	location     as above
//
// Amounts and prices are integers in cents. A name that is not in the
// environment is a compile error, so a typo cannot silently make a rule
// false.
//
// # Helper functions
//
//	hour(t)                 hour of the day, 0 to 23
//	minute(t)               minute of the hour, 0 to 59
//	weekday(t)              ISO weekday, 1 = Monday … 7 = Sunday
//	between(t, from, to)    time of day in [from, to), "HH:MM"; a range
//	                        such as "22:00" to "02:00" runs over midnight
//	date(t)                 the date as "2006-01-02"
//	daysSince(from, to)     calendar days from the date of from to that of to
//
// They read the wall clock of the time given, so they follow its zone and
// daylight saving time. expr's own builtins (any, all, filter, map, count,
// sum, len, min, max, upper, lower, hasPrefix, …) are available except those
// listed in Limits.
//
// # Use
//
// Compile once and evaluate often: Compile caches programs by kind and
// source, and a Program is safe for concurrent use.
//
//	p, err := rules.Compile(rules.KindRedemption, src)
//	ok, err := p.Bool(ctx, &rules.RedemptionEnv{…})
//
// For a value, Number returns float64 cents; ClampValue rounds and bounds
// it. Check compiles and optionally evaluates against a JSON sample, for a
// "test my expression" action.
//
// # Errors and limits
//
// Compile errors are *models.Error with code EEXPRESSION and a message such
// as "line 1, column 7: order has no field amout"; ErrorPosition returns the
// position. Evaluation errors are *models.Error with code EINVALID and a
// message starting "rule evaluation failed: ". Sources are limited to
// MaxSourceBytes and MaxNodes; evaluation to DefaultLimits (or those of WithLimits). Limits explains
// how a deadline is enforced in a VM that cannot be preempted.
package rules
