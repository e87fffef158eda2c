package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/vendrule/vendrule/web/webtest"
)

func init() { api.DisableConfigDir() } // pdfcpu would write its configuration to $HOME

func newPrintingHarness(t *testing.T) *webtest.Harness { return webtest.New(t) }

func pngBytes(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends data as the raw body with a content type that says nothing.
func upload(h *webtest.Harness, token string, data []byte) *webtest.Response {
	return h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/images", Token: token, Body: bytes.NewReader(data),
		Header: http.Header{"Content-Type": {"application/octet-stream"}}})
}

// waitFor polls path until its JSON field is "ready".
func waitFor(t *testing.T, h *webtest.Harness, token, path, field string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		obj := h.Get(path, token).Expect(t, http.StatusOK).Object(t)
		if obj[field] == "ready" {
			return obj
		}
	}
	t.Fatalf("%s: %s never became ready", path, field)
	return nil
}

func TestPrintableVouchers(t *testing.T) {
	h := newPrintingHarness(t)
	tn := h.NewTenant("Acme", true)
	logo := pngBytes(t, 40, 20)
	var img struct {
		ID  int64
		URL string
	}
	upload(h, tn.AccessToken, logo).Expect(t, http.StatusCreated).Decode(t, &img)
	got := h.Get(img.URL, tn.AccessToken).Expect(t, http.StatusOK)
	if !bytes.Equal(got.Body, logo) || got.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("image came back as %s, %d bytes", got.Header.Get("Content-Type"), len(got.Body))
	}

	campaign := h.MustCreate(tn.AccessToken, "/api/v1/campaigns", map[string]any{"name": "spring",
		"voucherValue": 250, "voucherText1": "Free coffee", "voucherLogoImg": img.ID})
	var v struct {
		ID, Code, LogoImg, PdfStatus string
	}
	h.Post("/api/v1/vouchers", tn.AccessToken, map[string]any{"campaign": campaign}).
		Expect(t, http.StatusCreated).Decode(t, &v)
	if v.PdfStatus != "empty" || v.LogoImg != img.URL {
		t.Fatalf("new voucher: %+v", v)
	}
	h.Post("/api/v1/vouchers", tn.AccessToken, map[string]any{"campaign": campaign, "count": 14}).
		Expect(t, http.StatusCreated)

	sheet := fmt.Sprintf("/api/v1/campaigns/%d/pdf", campaign)
	h.Get(sheet, tn.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	h.Post(sheet, tn.AccessToken, nil).Expect(t, http.StatusAccepted)
	c := waitFor(t, h, tn.AccessToken, fmt.Sprintf("/api/v1/campaigns/%d", campaign), "vouchersPdfStatus")
	if c["vouchersPdfUrl"] != sheet {
		t.Fatalf("vouchersPdfUrl = %v", c["vouchersPdfUrl"])
	}
	pdf := h.Get(sheet, tn.AccessToken).Expect(t, http.StatusOK)
	if pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("content type %q", pdf.Header.Get("Content-Type"))
	}
	if n, err := api.PageCount(bytes.NewReader(pdf.Body), model.NewDefaultConfiguration()); err != nil || n != 2 {
		t.Fatalf("sheet of 15 vouchers: %d pages, %v", n, err)
	}

	one := "/api/v1/vouchers/" + v.ID + "/pdf"
	h.Post(one, tn.AccessToken, nil).Expect(t, http.StatusAccepted)
	vv := waitFor(t, h, tn.AccessToken, "/api/v1/vouchers/"+v.ID, "pdfStatus")
	if vv["pdfUrl"] != one {
		t.Fatalf("pdfUrl = %v", vv["pdfUrl"])
	}
	h.Get(one, tn.AccessToken).Expect(t, http.StatusOK)

	// A change to what is printed makes the sheet again.
	h.Put(fmt.Sprintf("/api/v1/campaigns/%d", campaign), tn.AccessToken, map[string]any{"voucherText2": "and cake"}).
		Expect(t, http.StatusOK)
	waitFor(t, h, tn.AccessToken, fmt.Sprintf("/api/v1/campaigns/%d", campaign), "vouchersPdfStatus")

	// Another tenant sees none of it, and cannot use the logo.
	other := h.NewTenant("Other", true)
	h.Get(sheet, other.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	h.Post(one, other.AccessToken, nil).ExpectError(t, http.StatusNotFound, "not_found")
	h.Get(img.URL, other.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	h.Post("/api/v1/campaigns", other.AccessToken, map[string]any{"name": "x", "voucherValue": 1,
		"voucherLogoImg": img.ID}).ExpectError(t, http.StatusBadRequest, "invalid")
}

func TestImageUploadChecks(t *testing.T) {
	h := newPrintingHarness(t)
	tn := h.NewTenant("Acme", true)
	upload(h, tn.AccessToken, []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")).
		ExpectError(t, http.StatusBadRequest, "invalid")
	upload(h, tn.AccessToken, pngBytes(t, 3000, 2000)).ExpectError(t, http.StatusBadRequest, "invalid") // too many pixels
	big := append(pngBytes(t, 10, 10), make([]byte, 1<<20)...)
	upload(h, tn.AccessToken, big).ExpectError(t, http.StatusRequestEntityTooLarge, "too_large")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "logo.png")
	_, _ = fw.Write(pngBytes(t, 8, 8))
	_ = mw.Close()
	var img struct{ ID int64 }
	h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/images", Token: tn.AccessToken, Body: &body,
		Header: http.Header{"Content-Type": {mw.FormDataContentType()}}}).Expect(t, http.StatusCreated).Decode(t, &img)
	h.Delete(fmt.Sprintf("/api/v1/images/%d", img.ID), tn.AccessToken).Expect(t, http.StatusOK)
	h.Get(fmt.Sprintf("/api/v1/images/%d", img.ID), tn.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
}

// printed asks for the PDF of the campaign or voucher at path and waits until
// it is ready, for fixtures whose PDF routes must answer.
func printed(t *testing.T, h *webtest.Harness, token, path, field string) {
	t.Helper()
	h.Post(path+"/pdf", token, nil).Expect(t, http.StatusAccepted)
	waitFor(t, h, token, path, field)
}
