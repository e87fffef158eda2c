package models

import (
	"context"
	"slices"
)

// Scope is who is asking: a manager (UserID set) or a vending machine
// (MachineID set), and the user groups whose resources it may see.
type Scope struct {
	UserID    int64
	MachineID int64
	DeviceID  string  // the machine's hostname, for devices
	GroupID   int64   // the caller's own user group; new resources belong to it
	Groups    []int64 // GroupID and every group below it
	Admin     bool    // the caller's group may manage users and sub-groups
}

// IsDevice reports whether the caller is a vending machine.
func (s Scope) IsDevice() bool { return s.MachineID != 0 }

// Sees reports whether group g is inside the scope.
func (s Scope) Sees(g int64) bool { return slices.Contains(s.Groups, g) }

type scopeKey struct{}

// WithScope returns a context that carries s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the scope carried by ctx; ok is false when there is none.
func ScopeFrom(ctx context.Context) (s Scope, ok bool) {
	s, ok = ctx.Value(scopeKey{}).(Scope)
	return s, ok
}
