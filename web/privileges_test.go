package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// member adds a logged-in user called name to group gid (made as a tenant
// by the harness, then moved there).
func member(h *webtest.Harness, gid int64, name string) *webtest.Tenant {
	h.T.Helper()
	u := h.AddUser(h.Unique("tmp-"+name), h.Unique(name), false)
	if err := h.DB.Exec("UPDATE users SET user_group = ? WHERE id = ?", gid, u.UserID).Error; err != nil {
		h.T.Fatal(err)
	}
	u.GroupID = gid
	return u
}

// privilegeTree is a tenant tree with one user per kind of caller:
//
//	root (admin; alice)
//	├── staff (not admin; bob, carol)
//	│   └── leads (admin; dave)
//	│       └── crew (not admin)
//	└── other (admin)
type privilegeTree struct {
	alice, bob, carol, dave         *webtest.Tenant
	root, staff, leads, crew, other int64
}

func newPrivilegeTree(h *webtest.Harness) *privilegeTree {
	h.T.Helper()
	p := &privilegeTree{alice: h.NewTenant("Priv", true)}
	p.root = p.alice.GroupID
	mk := func(name string, parent int64, admin int) int64 {
		return h.MustCreate(p.alice.AccessToken, "/api/v1/usergroups",
			map[string]any{"name": name, "parent": parent, "admin": admin})
	}
	p.staff = mk("staff", p.root, 0)
	p.leads = mk("leads", p.staff, 1)
	p.crew = mk("crew", p.leads, 0)
	p.other = mk("other", p.root, 1)
	p.bob = member(h, p.staff, "bob")
	p.carol = member(h, p.staff, "carol")
	p.dave = member(h, p.leads, "dave")
	return p
}

func userPath(id int64) string  { return fmt.Sprintf("/api/v1/users/%d", id) }
func groupPath(id int64) string { return fmt.Sprintf("/api/v1/usergroups/%d", id) }

const someTime = "2026-01-02T03:04:05Z"

// Issue 9, finding 5: the fields of users and groups that carry rights
// (a user's userGroup and disabledAt, a group's parent and admin) change only
// by an admin, below its own group, and never for the caller itself. Each
// refusal leaves the stored rows as they were.
func TestPrivilegesCannotBeTakenOrGivenAway(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	p := newPrivilegeTree(h)
	cases := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		// The finding: a non-admin moves itself into an admin group.
		{"non-admin joins an admin group", p.bob.AccessToken, "PUT", userPath(p.bob.UserID),
			map[string]any{"userGroup": p.leads}, 403, "forbidden"},
		{"non-admin moves itself below", p.bob.AccessToken, "PUT", userPath(p.bob.UserID),
			map[string]any{"userGroup": p.crew}, 403, "forbidden"},
		{"non-admin moves itself up", p.bob.AccessToken, "PUT", userPath(p.bob.UserID),
			map[string]any{"userGroup": p.root}, 403, "forbidden"},
		{"non-admin disables itself", p.bob.AccessToken, "PUT", userPath(p.bob.UserID),
			map[string]any{"disabledAt": someTime}, 403, "forbidden"},
		{"non-admin edits a peer", p.bob.AccessToken, "PUT", userPath(p.carol.UserID),
			map[string]any{"username": "taken-over"}, 403, "forbidden"},
		{"non-admin disables a peer", p.bob.AccessToken, "PUT", userPath(p.carol.UserID),
			map[string]any{"disabledAt": someTime}, 403, "forbidden"},
		{"non-admin makes its group admin", p.bob.AccessToken, "PUT", groupPath(p.staff),
			map[string]any{"admin": 1}, 403, "forbidden"},
		{"non-admin makes a group below admin", p.bob.AccessToken, "PUT", groupPath(p.crew),
			map[string]any{"admin": 1}, 403, "forbidden"},
		{"non-admin makes an admin group", p.bob.AccessToken, "POST", "/api/v1/usergroups",
			map[string]any{"name": "mine", "admin": 1}, 403, "forbidden"},
		{"non-admin deletes itself", p.bob.AccessToken, "DELETE", userPath(p.bob.UserID), nil, 403, "forbidden"},

		{"admin moves itself", p.alice.AccessToken, "PUT", userPath(p.alice.UserID),
			map[string]any{"userGroup": p.other}, 403, "forbidden"},
		{"admin disables itself", p.alice.AccessToken, "PUT", userPath(p.alice.UserID),
			map[string]any{"disabledAt": someTime}, 403, "forbidden"},
		{"admin drops its group's admin flag", p.alice.AccessToken, "PUT", groupPath(p.root),
			map[string]any{"admin": 0}, 403, "forbidden"},
		{"admin moves its own group", p.alice.AccessToken, "PUT", groupPath(p.root),
			map[string]any{"parent": p.other}, 403, "forbidden"},
		{"admin deletes itself", p.alice.AccessToken, "DELETE", userPath(p.alice.UserID), nil, 403, "forbidden"},
		{"admin deletes its own group", p.alice.AccessToken, "DELETE", groupPath(p.root), nil, 403, "forbidden"},

		// A sub-admin, dave in leads, reaches nothing above or beside leads.
		{"sub-admin moves itself up", p.dave.AccessToken, "PUT", userPath(p.dave.UserID),
			map[string]any{"userGroup": p.staff}, 403, "forbidden"},
		{"sub-admin moves itself below", p.dave.AccessToken, "PUT", userPath(p.dave.UserID),
			map[string]any{"userGroup": p.crew}, 403, "forbidden"},
		{"sub-admin moves its group", p.dave.AccessToken, "PUT", groupPath(p.leads),
			map[string]any{"parent": p.crew}, 403, "forbidden"},
		{"sub-admin drops its group's admin flag", p.dave.AccessToken, "PUT", groupPath(p.leads),
			map[string]any{"admin": 0}, 403, "forbidden"},
		{"sub-admin edits a user above", p.dave.AccessToken, "PUT", userPath(p.bob.UserID),
			map[string]any{"userGroup": p.crew}, 404, "not_found"},
		{"sub-admin edits the group above", p.dave.AccessToken, "PUT", groupPath(p.staff),
			map[string]any{"admin": 1}, 404, "not_found"},
		{"sub-admin edits a group beside", p.dave.AccessToken, "PUT", groupPath(p.other),
			map[string]any{"admin": 0}, 404, "not_found"},
		{"sub-admin moves a group below beside", p.dave.AccessToken, "PUT", groupPath(p.crew),
			map[string]any{"parent": p.other}, 400, "invalid"},
		{"sub-admin makes a group beside", p.dave.AccessToken, "POST", "/api/v1/usergroups",
			map[string]any{"name": "x", "parent": p.staff, "admin": 1}, 400, "invalid"},
		{"sub-admin makes a user above", p.dave.AccessToken, "POST", "/api/v1/users",
			map[string]any{"username": "x", "email": "x@example.test", "userGroup": p.root}, 400, "invalid"},
	}
	before := privilegeState(t, h)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.Do(webtest.Req{Method: c.method, Path: c.path, Token: c.token, Body: c.body}).
				ExpectError(t, c.status, c.code)
		})
	}
	if after := privilegeState(t, h); after != before {
		t.Errorf("refused requests changed rights:\n before %s\n after  %s", before, after)
	}
	// bob is still no admin.
	h.Post("/api/v1/users", p.bob.AccessToken, map[string]any{"username": "y", "email": "y@example.test"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
}

// privilegeState describes every user's group and disabled state and every
// group's parent and admin flag.
func privilegeState(t *testing.T, h *webtest.Harness) string {
	t.Helper()
	var s string
	err := h.DB.Raw(`SELECT concat(
		(SELECT string_agg(concat(id, ':', user_group, ':', disabled_at IS NULL), ',' ORDER BY id) FROM users), ' | ',
		(SELECT string_agg(concat(id, ':', parent, ':', admin), ',' ORDER BY id) FROM user_groups))`).Scan(&s).Error
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// What stays allowed: users edit their own plain fields; admins move,
// disable and enable other users within their scope and set the rights of
// the groups below their own.
func TestPrivilegesAdminsStillManage(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	p := newPrivilegeTree(h)
	var lang int64
	h.DB.Raw("SELECT id FROM languages WHERE language = 'de'").Scan(&lang)

	h.Put(userPath(p.bob.UserID), p.bob.AccessToken,
		map[string]any{"username": "bobby", "email": "bobby@example.test", "language": lang}).Expect(t, http.StatusOK)
	// Sending one's own unchanged group and state is no change.
	h.Put(userPath(p.bob.UserID), p.bob.AccessToken,
		map[string]any{"userGroup": p.staff, "disabledAt": nil}).Expect(t, http.StatusOK)
	h.Put(groupPath(p.root), p.alice.AccessToken, map[string]any{"name": "Priv renamed"}).Expect(t, http.StatusOK)

	// alice makes staff an admin group, then moves carol to other.
	h.Put(groupPath(p.staff), p.alice.AccessToken, map[string]any{"admin": 1}).Expect(t, http.StatusOK)
	h.Post("/api/v1/usergroups", p.bob.AccessToken, map[string]any{"name": "bob's"}).Expect(t, http.StatusCreated)
	h.Put(userPath(p.carol.UserID), p.alice.AccessToken, map[string]any{"userGroup": p.other}).Expect(t, http.StatusOK)
	me := h.Get("/api/v1/auth/me", p.carol.AccessToken).Expect(t, http.StatusOK).Object(t)
	if g := me["userGroup"].(map[string]any); g["id"] != float64(p.other) {
		t.Errorf("carol's group = %v, want %d", g["id"], p.other)
	}

	// dave, a sub-admin, moves a user within his subtree and disables it.
	crew := member(h, p.crew, "crewman")
	h.Put(userPath(crew.UserID), p.dave.AccessToken, map[string]any{"userGroup": p.leads}).Expect(t, http.StatusOK)
	h.Put(userPath(crew.UserID), p.dave.AccessToken, map[string]any{"disabledAt": someTime}).Expect(t, http.StatusOK)
	u := h.Get(userPath(crew.UserID), p.dave.AccessToken).Expect(t, http.StatusOK).Object(t)
	if u["disabledAt"] == nil || u["disabledAt"] == someTime {
		t.Errorf("disabledAt = %v, want the server's time", u["disabledAt"])
	}
	h.Get("/api/v1/auth/me", crew.AccessToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Login(crew.Username, crew.Password).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Put(userPath(crew.UserID), p.dave.AccessToken, map[string]any{"disabledAt": nil}).Expect(t, http.StatusOK)
	h.MustLogin(crew.Username, crew.Password)
}
