package vouchers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/models"
)

// importFile runs an import of text into campaign id as the manager.
func (f *fixture) importFile(id int64, text string) (int, error) {
	return f.s.ImportVouchers(context.Background(), f.mgr, id, strings.NewReader(text))
}

func TestImportStoresEveryLineUpperCased(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100, TotalVouchers: 1})
	n, err := f.importFile(c.ID, "\ufeffCode,value,expiresOn\nabc-001,250,2027-01-31\r\nXyz_002,,\n\n")
	if err != nil || n != 2 {
		t.Fatalf("import: %d, %v", n, err)
	}
	var got []struct {
		Code      string
		Value     *int64
		ExpiresOn *string
	}
	must(t, f.s.DB.Raw(`SELECT code, value, expires_on FROM vouchers WHERE campaign = ? AND code IN ('ABC-001', 'XYZ_002')
		ORDER BY code`, c.ID).Scan(&got).Error)
	if len(got) != 2 || *got[0].Value != 250 || *got[0].ExpiresOn != "2027-01-31" || got[1].Value != nil || got[1].ExpiresOn != nil {
		t.Fatalf("stored %+v", got)
	}
}

func TestImportReportsEveryWrongLineAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100, TotalVouchers: 1})
	var existing string
	must(t, f.s.DB.Raw(`SELECT code FROM vouchers WHERE campaign = ?`, c.ID).Scan(&existing).Error)
	file := strings.Join([]string{
		"code,value",
		"GOOD-1,10",                     // 2
		"a!",                            // 3 bad format
		"good-1,",                       // 4 duplicate of line 2, other case
		strings.ToLower(existing) + ",", // 5 already exists
		"FINE-2,ten",                    // 6 not a number
		"FINE-3,5,extra",                // 7 too many cells
		"",
	}, "\n")
	n, err := f.importFile(c.ID, file)
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.EINVALID || n != 0 {
		t.Fatalf("import: %d, %v", n, err)
	}
	for _, line := range []string{"line 3", "line 4", "line 5", "line 6", "line 7"} {
		if e.Fields[line] == "" {
			t.Errorf("%s not reported: %v", line, e.Fields)
		}
	}
	if len(e.Fields) != 5 || !strings.Contains(e.Fields["line 4"], "line 2") {
		t.Errorf("fields %v", e.Fields)
	}
	if got := countVouchers(t, f, c.ID); got != 1 {
		t.Errorf("%d vouchers after a refused import, want the 1 generated", got)
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100, TotalVouchers: 1})
	tooMany := "code\n" + strings.Repeat("ABC\n", MaxImportLines+1)
	for _, tc := range []struct {
		name, file, code string
	}{
		{"empty", "", models.EINVALID},
		{"header only", "code\n", models.EINVALID},
		{"no code column", "value\n10\n", models.EINVALID},
		{"unknown column", "code,colour\nABC,red\n", models.EINVALID},
		{"column twice", "code,code\nABC,ABC\n", models.EINVALID},
		{"too many lines", tooMany, models.ETOOLARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.importFile(c.ID, tc.file); models.CodeOf(err) != tc.code {
				t.Errorf("error %v, want %s", err, tc.code)
			}
		})
	}
	other := models.Scope{GroupID: f.mgr.GroupID + 1000, Groups: []int64{f.mgr.GroupID + 1000}}
	if _, err := f.s.ImportVouchers(context.Background(), other, c.ID, strings.NewReader("code\nABC\n")); models.CodeOf(err) != models.ENOTFOUND {
		t.Errorf("another tenant's import: %v, want not found", err)
	}
}
