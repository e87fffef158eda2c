package printing

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"strconv"
)

// Voucher is what one printed voucher shows, ready to print: the printing
// engine fills it from a voucher and its campaign (see Card).
type Voucher struct {
	Code     string
	Value    string    // e.g. "€ 5.00 off"; "" prints no value line
	Validity string    // e.g. "Valid until 2026-12-31"
	Texts    [4]string // the campaign's or the voucher's text lines
	Sizes    [4]float64
}

// Result describes a rendered PDF.
type Result struct {
	Pages    int
	Vouchers int
	Bytes    int64
}

// The sheet: A4 portrait, 2 × 5 vouchers of 90 × 54 mm (a business card's
// proportions) with cut marks in the margins. Lengths are in points.
const (
	mm         = 72 / 25.4
	pageW      = 210 * mm
	pageH      = 297 * mm
	cols, rows = 2, 5
	PerPage    = cols * rows // vouchers on one sheet
	cellW      = 90 * mm
	cellH      = 54 * mm
	marginX    = (pageW - cols*cellW) / 2
	marginY    = (pageH - rows*cellH) / 2
	pad        = 4 * mm
	qrSize     = 32 * mm // with the QR code's quiet zone
	logoW      = 40 * mm
	logoH      = 12 * mm
)

// defaultSizes are the font sizes of the four text lines.
var defaultSizes = [4]float64{12, 10, 9, 8}

// Render writes a PDF of vouchers to w, PerPage to a sheet, and the logo (nil
// for none) on each. It holds one sheet in memory at a time, whatever the
// number of vouchers; an error from vouchers stops it and is returned.
func Render(w io.Writer, logo *Logo, vouchers iter.Seq2[Voucher, error]) (Result, error) {
	d := newDocument(w, logo)
	page := make([]Voucher, 0, PerPage)
	for v, err := range vouchers {
		if err != nil {
			return Result{}, err
		}
		if page = append(page, v); len(page) == PerPage {
			if err := d.page(page); err != nil {
				return Result{}, err
			}
			page = page[:0]
		}
	}
	if len(page) > 0 || d.res.Pages == 0 {
		if err := d.page(page); err != nil {
			return Result{}, err
		}
	}
	return d.finish()
}

// document is a PDF being written: fixed objects first, then page by page,
// and the page tree last, when the pages are known.
type document struct {
	pdf            *pdfWriter
	catalog, pages int
	fonts          string // the font resource entries
	logo           *Logo
	logoObj        int
	kids           []int // page objects, 4 bytes each
	content        bytes.Buffer
	res            Result
}

func newDocument(w io.Writer, logo *Logo) *document {
	d := &document{pdf: newPDFWriter(w), logo: logo}
	d.catalog, d.pages = d.pdf.reserve(), d.pdf.reserve()
	d.pdf.object(d.catalog, fmt.Sprintf("<</Type /Catalog /Pages %d 0 R>>", d.pages))
	for i, name := range []string{"Helvetica", "Helvetica-Bold", "Courier"} {
		n := d.pdf.reserve()
		d.pdf.object(n, "<</Type /Font /Subtype /Type1 /BaseFont /"+name+" /Encoding /WinAnsiEncoding>>")
		d.fonts += fmt.Sprintf(" /F%d %d 0 R", i+1, n)
	}
	if logo != nil {
		d.logoObj = d.pdf.reserve()
		d.pdf.rawStream(d.logoObj, logo.dict, logo.data)
	}
	return d
}

// page writes one sheet with up to PerPage vouchers.
func (d *document) page(vs []Voucher) error {
	d.content.Reset()
	xobjects := ""
	if d.logo != nil {
		xobjects = fmt.Sprintf(" /L %d 0 R", d.logoObj)
	}
	for i, v := range vs {
		qr, err := encodeQR(v.Code)
		if err != nil {
			return err
		}
		n := d.pdf.reserve()
		d.pdf.stream(n, qr.dict, qr.data)
		xobjects += fmt.Sprintf(" /Q%d %d 0 R", i, n)
		d.drawVoucher(i, v)
	}
	drawCutMarks(&d.content)
	content := d.pdf.reserve()
	d.pdf.stream(content, "", d.content.Bytes())
	page := d.pdf.reserve()
	d.pdf.object(page, fmt.Sprintf("<</Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "+
		"/Resources <</Font <<%s>> /XObject <<%s>>>> /Contents %d 0 R>>",
		d.pages, num(pageW), num(pageH), d.fonts, xobjects, content))
	d.kids = append(d.kids, page)
	d.res.Pages++
	d.res.Vouchers += len(vs)
	return d.pdf.err
}

func (d *document) finish() (Result, error) {
	var kids bytes.Buffer
	for _, k := range d.kids {
		kids.WriteString(strconv.Itoa(k))
		kids.WriteString(" 0 R ")
	}
	d.pdf.object(d.pages, fmt.Sprintf("<</Type /Pages /Count %d /Kids [%s]>>", len(d.kids), kids.String()))
	if err := d.pdf.finish(d.catalog); err != nil {
		return Result{}, err
	}
	d.res.Bytes = d.pdf.n
	return d.res, nil
}

// num formats a length in points with two decimals, as PDF operands.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
