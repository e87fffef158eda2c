package notify

import (
	"strconv"

	"gorm.io/gorm"
)

// Account email kinds.
const (
	KindActivation    = "activation"
	KindPasswordReset = "password_reset"
)

// AccountEmail is an email to a user about their account.
type AccountEmail struct {
	Kind      string // KindActivation or KindPasswordReset
	UserGroup int64
	To        string
	Username  string
	Language  *int64 // the user's language; nil: English
	Link      string // the single-use link
	Hours     int    // how long the link works
}

// AccountMessage renders a in the user's language, with the translations of
// the user's tenant, using tx.
func AccountMessage(tx *gorm.DB, a AccountEmail) (Message, error) {
	t, err := newTextCache(tx, a.UserGroup).get(a.Language)
	if err != nil {
		return Message{}, err
	}
	prefix := "activation"
	if a.Kind == KindPasswordReset {
		prefix = "reset"
	}
	v := view{texts: t, Kind: prefix, Link: a.Link,
		vars: placeholders("user", a.Username, "hours", strconv.Itoa(a.Hours))}
	text, html, err := render("account", v)
	if err != nil {
		return Message{}, err
	}
	group := a.UserGroup
	return Message{UserGroup: &group, Kind: a.Kind, To: a.To, Subject: v.T(prefix + ".subject"),
		Text: text, HTML: html}, nil
}
