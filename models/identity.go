package models

import (
	"net/mail"
	"time"
)

// UserGroup is a node of the tenant tree. A group without a parent is a
// tenant; everything stored belongs to one group.
//
// Parent and Admin carry rights: Parent decides which groups see the
// group's resources, Admin lets its users manage users and groups. An admin
// sets them on the groups below its own, never on its own group.
type UserGroup struct {
	ID        int64     `json:"id" gorm:"primaryKey"`
	Name      string    `json:"name"`
	Parent    *int64    `json:"parent"`
	Admin     int       `json:"admin"`
	CreatedAt time.Time `json:"createdAt" gorm:"autoCreateTime"`
	UpdatedAt time.Time `json:"updatedAt" gorm:"autoUpdateTime"`
	// Locations and LocationGroups, when sent, move the named locations
	// and location groups (of the caller's scope) into this group. They are
	// the seed's view of ownership from the group's side; the rows' own
	// userGroup is the other side. Nothing is moved out: a location always
	// belongs to some group.
	Locations      *IDList `json:"locations,omitempty" gorm:"-"`
	LocationGroups *IDList `json:"locationGroups,omitempty" gorm:"-"`
}

// userGroupReadOnly are the seed's user group fields vendrule derives or
// does not have (groups are deleted, not flagged).
var userGroupReadOnly = readOnly("disabledAt", "deleted")

// ReadOnlyFields returns the fields a user group body may carry but not set.
func (g *UserGroup) ReadOnlyFields() []string { return userGroupReadOnly }

// Adoptions returns the locations and location groups the body names, to
// be moved into the group (pg.Adopt).
func (g *UserGroup) Adoptions() []Ref {
	return membershipRefs([]Membership{
		{Field: "locations", Table: "locations", IDs: g.Locations},
		{Field: "locationGroups", Table: "location_groups", IDs: g.LocationGroups},
	})
}

// Validate checks the name and the admin flag.
func (g *UserGroup) Validate() error {
	if g.Admin != 0 && g.Admin != 1 {
		return FieldError("admin", "must be 0 or 1")
	}
	return required("name", g.Name)
}

// Language is a language emails can be written in.
type Language struct {
	ID        int64     `json:"id" gorm:"primaryKey"`
	UserGroup *int64    `json:"userGroup"`
	Name      string    `json:"name"`
	Language  string    `json:"language"`
	Locale    string    `json:"locale"`
	CreatedAt time.Time `json:"createdAt" gorm:"autoCreateTime"`
	UpdatedAt time.Time `json:"updatedAt" gorm:"autoUpdateTime"`
}

// User is a manager who logs in to the API and the console.
//
// Two fields carry rights: UserGroup (what the user sees, and whether it is
// an admin, through its group's Admin flag) and DisabledAt (whether it may
// log in at all). Only an admin changes them, on users other than itself
// (engine/identity). The others are the user's own: a user may edit its
// username, email and language.
type User struct {
	Base
	Username       string     `json:"username"`
	Email          string     `json:"email"`
	Language       *int64     `json:"language"`
	EmailConfirmed int        `json:"emailConfirmed" gorm:"->"`
	DisabledAt     *time.Time `json:"disabledAt" gorm:"->"`
	PasswordHash   *string    `json:"-" gorm:"->"`
	// TokenGeneration is written into the user's tokens; raising it
	// revokes every token issued before.
	TokenGeneration int64 `json:"-" gorm:"->"`
}

// Validate checks the username and email.
func (u *User) Validate() error {
	if err := required("username", u.Username); err != nil {
		return err
	}
	if len(u.Username) > 100 {
		return FieldError("username", "at most 100 characters")
	}
	return ValidateEmail("email", u.Email)
}

// Refs returns nothing: the language may be a built-in one, checked by
// engine/identity.
func (u *User) Refs() []Ref { return nil }

// userReadOnly are the seed's user fields only the server writes.
var userReadOnly = readOnly("emailConfirmed", "password_expires")

// ReadOnlyFields returns the fields a user body may carry but not set.
func (u *User) ReadOnlyFields() []string { return userReadOnly }

// ValidateEmail checks that s is one plain email address.
func ValidateEmail(field, s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return FieldError(field, "must be a valid email address")
	}
	return nil
}

// Tokens is the answer to a login: a short-lived access token and a refresh
// token that can be used once.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}
