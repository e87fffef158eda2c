package printing

import (
	"bytes"
	"context"
	"image"
	"net/http"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// MaxImageBytes bounds an uploaded image.
const MaxImageBytes = 1 << 20

// Image is an uploaded logo as the API shows it.
type Image struct {
	ID          int64     `json:"id"`
	UserGroup   int64     `json:"userGroup"`
	ContentType string    `json:"contentType"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Size        int       `json:"size"`
	URL         string    `json:"url" gorm:"-"`
	CreatedAt   time.Time `json:"createdAt"`
}

// SaveImage stores a PNG or JPEG image for sc's group. The type is sniffed
// from the bytes, never taken from the request, and the image must decode
// whole, so that a stored logo always prints. Returns EINVALID, ETOOLARGE.
func (s *Service) SaveImage(ctx context.Context, sc models.Scope, data []byte) (*Image, error) {
	if len(data) > MaxImageBytes {
		return nil, models.Errorf(models.ETOOLARGE, "an image may have at most %d bytes", MaxImageBytes)
	}
	ct := http.DetectContentType(data)
	if ct != "image/png" && ct != "image/jpeg" {
		return nil, models.Errorf(models.EINVALID, "image must be a PNG or a JPEG, not %s", ct)
	}
	if _, err := DecodeLogo(data); err != nil {
		return nil, err
	}
	cfg, _, _ := image.DecodeConfig(bytes.NewReader(data)) // DecodeLogo read it already
	img := &Image{UserGroup: sc.GroupID, ContentType: ct, Width: cfg.Width, Height: cfg.Height, Size: len(data)}
	err := s.DB.WithContext(ctx).Raw(`INSERT INTO images (user_group, content_type, width, height, size, data)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id, created_at`, img.UserGroup, ct, img.Width, img.Height, img.Size, data).
		Row().Scan(&img.ID, &img.CreatedAt)
	if err != nil {
		return nil, pg.MapError(err)
	}
	img.URL = models.ImagePath(&img.ID)
	return img, nil
}

// ImageData returns image id and its bytes. Returns ENOTFOUND, also for an
// image outside sc.
func (s *Service) ImageData(ctx context.Context, sc models.Scope, id int64) (*Image, []byte, error) {
	var rows []struct {
		Image
		Data []byte
	}
	err := s.DB.WithContext(ctx).Table("images").Scopes(pg.Tenant(sc, "user_group")).Where("id = ?", id).
		Find(&rows).Error
	if err != nil {
		return nil, nil, pg.MapError(err)
	}
	if len(rows) == 0 {
		return nil, nil, models.Errorf(models.ENOTFOUND, "image %d not found", id)
	}
	img := rows[0].Image
	img.URL = models.ImagePath(&img.ID)
	return &img, rows[0].Data, nil
}

// DeleteImage removes image id; campaigns that printed it print no logo
// from then on. Returns ENOTFOUND.
func (s *Service) DeleteImage(ctx context.Context, sc models.Scope, id int64) error {
	res := s.DB.WithContext(ctx).Table("images").Scopes(pg.Tenant(sc, "user_group")).Where("id = ?", id).Delete(nil)
	if res.Error != nil {
		return pg.MapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "image %d not found", id)
	}
	return nil
}
