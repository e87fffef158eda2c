package printing

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"iter"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func init() { api.DisableConfigDir() } // pdfcpu would write its configuration to $HOME

// testVouchers yields n vouchers with codes T-0000, T-0001, ….
func testVouchers(n int) iter.Seq2[Voucher, error] {
	return func(yield func(Voucher, error) bool) {
		for i := range n {
			v := Voucher{Code: fmt.Sprintf("T-%04d", i), Value: "€ 5.00 off", Validity: "Valid until 2026-12-31",
				Texts: [4]string{"Free coffee (any size)", `Back\slash`, "Ünïcödé ☕", ""}}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// testLogo returns a 60 × 20 PNG, half transparent.
func testLogo(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 60, 20))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.NRGBA{200, 30, 30, 128}}, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func render(t testing.TB, n int, logo []byte) ([]byte, Result) {
	t.Helper()
	var l *Logo
	if logo != nil {
		var err error
		if l, err = DecodeLogo(logo); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	res, err := Render(&out, l, testVouchers(n))
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(out.Len()) {
		t.Fatalf("Result.Bytes = %d, wrote %d", res.Bytes, out.Len())
	}
	return out.Bytes(), res
}

// TestRenderPages checks the page count against an independent PDF reader,
// which also validates the document.
func TestRenderPages(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vouchers int
		pages    int
	}{
		{"none", 0, 1}, {"one", 1, 1}, {"full sheet", PerPage, 1}, {"three sheets", 2*PerPage + 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf, res := render(t, tc.vouchers, testLogo(t))
			if res.Pages != tc.pages || res.Vouchers != tc.vouchers {
				t.Fatalf("result %+v, want %d pages of %d vouchers", res, tc.pages, tc.vouchers)
			}
			if err := api.Validate(bytes.NewReader(pdf), model.NewDefaultConfiguration()); err != nil {
				t.Fatalf("invalid PDF: %v", err)
			}
			n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration())
			if err != nil || n != tc.pages {
				t.Fatalf("PageCount = %d, %v; want %d", n, err, tc.pages)
			}
		})
	}
}

// TestRenderQRDecodes takes the QR images out of the PDF with an
// independent reader and decodes each back to its voucher's code.
func TestRenderQRDecodes(t *testing.T) {
	pdf, _ := render(t, PerPage+2, testLogo(t))
	pages, err := api.ExtractImagesRaw(bytes.NewReader(pdf), nil, model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for pageNr, images := range pages {
		for _, img := range images {
			if !strings.HasPrefix(img.Name, "Q") {
				continue
			}
			var idx int
			fmt.Sscanf(img.Name, "Q%d", &idx)
			want := fmt.Sprintf("T-%04d", pageNr*PerPage+idx)
			got := decodeQR(t, img)
			if got != want {
				t.Errorf("page %d %s decodes to %q, want %q", pageNr+1, img.Name, got, want)
			}
			found[got] = true
		}
	}
	if len(found) != PerPage+2 {
		t.Fatalf("decoded %d distinct codes, want %d", len(found), PerPage+2)
	}
}

// decodeQR decodes an extracted image, scaled up 8 times as a printer or a
// camera would see it.
func decodeQR(t *testing.T, img model.Image) string {
	t.Helper()
	src, _, err := image.Decode(img)
	if err != nil {
		t.Fatalf("%s: %v", img.Name, err)
	}
	b := src.Bounds()
	big := image.NewGray(image.Rect(0, 0, 8*b.Dx(), 8*b.Dy()))
	for y := range big.Bounds().Dy() {
		for x := range big.Bounds().Dx() {
			big.Set(x, y, src.At(b.Min.X+x/8, b.Min.Y+y/8))
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(big)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("%s: %v", img.Name, err)
	}
	return res.GetText()
}

func TestWriteStringEscapesAndEncodes(t *testing.T) {
	var b bytes.Buffer
	writeString(&b, "a(b)c\\ €\n☕")
	if got, want := b.String(), "(a\\(b\\)c\\\\ \x80 ?)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDecodeLogoRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"text", []byte("hello")},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"truncated png", testLogo(t)[:40]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeLogo(tc.data); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
