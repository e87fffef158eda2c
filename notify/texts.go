package notify

import (
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// DefaultConsoleURL is the console address of the links in emails when
// none is configured (Alerts.ConsoleURL, Deliverer.ConsoleURL).
const DefaultConsoleURL = "http://localhost:8080"

// consoleOr returns url, or DefaultConsoleURL when it is empty.
func consoleOr(url string) string {
	if url == "" {
		return DefaultConsoleURL
	}
	return url
}

// textCache loads each language's texts for one tenant once per operation.
type textCache struct {
	tx    *gorm.DB
	group int64
	byID  map[int64]Texts
}

func newTextCache(tx *gorm.DB, group int64) *textCache {
	return &textCache{tx: tx, group: group, byID: map[int64]Texts{}}
}

// get returns the texts of language lang (nil: English) for the tenant.
func (c *textCache) get(lang *int64) (Texts, error) {
	if lang == nil {
		return Texts{Lang: fallback}, nil
	}
	if t, ok := c.byID[*lang]; ok {
		return t, nil
	}
	t, err := loadTexts(c.tx, c.group, *lang)
	if err != nil {
		return Texts{}, err
	}
	c.byID[*lang] = t
	return t, nil
}

// loadTexts reads language lang's code and the translations of group and its
// ancestors; a group's own translation wins over its parent's.
func loadTexts(tx *gorm.DB, group, lang int64) (Texts, error) {
	t := Texts{Lang: fallback, Overrides: map[string]string{}}
	var code string
	if err := tx.Raw("SELECT language FROM languages WHERE id = ?", lang).Scan(&code).Error; err != nil {
		return t, pg.MapError(err)
	}
	if code != "" {
		t.Lang = code
	}
	var rows []struct{ Key, Value string }
	err := tx.Raw(`WITH RECURSIVE up(id, depth) AS (
			SELECT id, 0 FROM user_groups WHERE id = ?
			UNION ALL SELECT g.parent, up.depth + 1 FROM user_groups g JOIN up ON g.id = up.id WHERE g.parent IS NOT NULL)
		SELECT t.key, t.value FROM translations t JOIN up ON t.user_group = up.id
		WHERE t.language = ? ORDER BY up.depth DESC, t.id`, group, lang).Scan(&rows).Error
	for _, r := range rows {
		t.Overrides[r.Key] = r.Value
	}
	return t, pg.MapError(err)
}

// rootOf returns the tenant (top-level group) that group belongs to.
func rootOf(tx *gorm.DB, group int64) (int64, error) {
	var root int64
	err := tx.Raw(`WITH RECURSIVE up(id, parent) AS (
			SELECT id, parent FROM user_groups WHERE id = ?
			UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
		SELECT id FROM up WHERE parent IS NULL`, group).Scan(&root).Error
	return root, pg.MapError(err)
}
