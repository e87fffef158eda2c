package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/engine/printing"
	"github.com/vendrule/vendrule/models"
)

// registerPrintingRoutes registers the printable PDFs of campaigns and
// vouchers and the images their logos come from (docs/printing.md).
func registerPrintingRoutes(managers *gin.RouterGroup, ps *printing.Service) {
	h := printingHandlers{ps: ps}
	managers.POST("/campaigns/:id/pdf", h.requestCampaign)
	managers.GET("/campaigns/:id/pdf", h.downloadCampaign)
	managers.POST("/vouchers/:id/pdf", h.requestVoucher)
	managers.GET("/vouchers/:id/pdf", h.downloadVoucher)
	managers.POST("/images", h.uploadImage)
	managers.GET("/images/:id", h.getImage)
	managers.DELETE("/images/:id", h.deleteImage)
}

type printingHandlers struct {
	ps *printing.Service
}

func (h printingHandlers) campaignOwner(c *gin.Context) (printing.Owner, bool) {
	id, ok := pathID(c)
	if !ok {
		return printing.Owner{}, false
	}
	o, err := h.ps.CampaignOwner(c.Request.Context(), scopeOf(c), id)
	if err != nil {
		fail(c, err)
		return printing.Owner{}, false
	}
	return o, true
}

func (h printingHandlers) voucherOwner(c *gin.Context) (printing.Owner, bool) {
	o, err := h.ps.VoucherOwner(c.Request.Context(), scopeOf(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return printing.Owner{}, false
	}
	return o, true
}

func (h printingHandlers) requestCampaign(c *gin.Context) {
	if o, ok := h.campaignOwner(c); ok {
		h.request(c, o)
	}
}

func (h printingHandlers) requestVoucher(c *gin.Context) {
	if o, ok := h.voucherOwner(c); ok {
		h.request(c, o)
	}
}

// request answers 202: the PDF is made in the background.
func (h printingHandlers) request(c *gin.Context, o printing.Owner) {
	st, err := h.ps.Request(c.Request.Context(), o)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, st)
}

func (h printingHandlers) downloadCampaign(c *gin.Context) {
	if o, ok := h.campaignOwner(c); ok {
		h.download(c, o, "campaign-"+strconv.FormatInt(o.Campaign, 10)+".pdf")
	}
}

func (h printingHandlers) downloadVoucher(c *gin.Context) {
	if o, ok := h.voucherOwner(c); ok {
		h.download(c, o, "voucher-"+o.Voucher+".pdf")
	}
}

// download streams the PDF; the headers go out only once it is known to be
// ready, so that an error still gets its status.
func (h printingHandlers) download(c *gin.Context, o printing.Owner, name string) {
	started := false
	err := h.ps.Download(c.Request.Context(), o, func(size int64) io.Writer {
		started = true
		c.Header("Content-Type", "application/pdf")
		c.Header("Content-Length", strconv.FormatInt(size, 10))
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		c.Status(http.StatusOK)
		return c.Writer
	})
	if err != nil && !started {
		fail(c, err)
	} else if err != nil {
		_ = c.Error(err) // the body is cut short; the access log shows why
	}
}

// uploadImage takes the image as the raw body or as the multipart field
// "file"; its type is sniffed from its bytes either way.
func (h printingHandlers) uploadImage(c *gin.Context) {
	data, err := imageBody(c)
	if err != nil {
		fail(c, err)
		return
	}
	img, err := h.ps.SaveImage(c.Request.Context(), scopeOf(c), data)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, img)
}

func imageBody(c *gin.Context) ([]byte, error) {
	body := c.Request.Body
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt == "multipart/form-data" {
		f, _, err := c.Request.FormFile("file")
		if err != nil {
			return nil, readError(err, "send the image as the multipart field \"file\"")
		}
		defer f.Close()
		body = f
	}
	data, err := io.ReadAll(io.LimitReader(body, printing.MaxImageBytes+1))
	if err != nil {
		return nil, readError(err, "cannot read the image")
	}
	return data, nil
}

func readError(err error, msg string) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return models.Errorf(models.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
	}
	return models.Errorf(models.EINVALID, "%s", msg)
}

func (h printingHandlers) getImage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	img, data, err := h.ps.ImageData(c.Request.Context(), scopeOf(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, img.ContentType, data)
}

func (h printingHandlers) deleteImage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	err := h.ps.DeleteImage(c.Request.Context(), scopeOf(c), id)
	respond(c, gin.H{"message": "deleted"}, err)
}
