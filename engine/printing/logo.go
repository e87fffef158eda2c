package printing

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // logos may be JPEG
	_ "image/png"  // or PNG

	"github.com/vendrule/vendrule/models"
)

// Logo is an uploaded image made ready to embed once in a PDF: RGB samples
// over white (vouchers print on white paper, so transparency needs no soft
// mask), flate-compressed.
type Logo struct {
	dict          string
	data          []byte
	width, height int
}

// MaxLogoPixels bounds the pixels of an image, checked from its header
// before it is decoded, so that a small file cannot unpack into gigabytes.
const MaxLogoPixels = 4_000_000

// DecodeLogo decodes a PNG or JPEG image. Returns EINVALID.
func DecodeLogo(data []byte) (*Logo, error) {
	if err := checkImageSize(data); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "logo image cannot be decoded: %v", err)
	}
	b := img.Bounds()
	rgb := make([]byte, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			rgb = append(rgb, overWhite(c.R, c.A), overWhite(c.G, c.A), overWhite(c.B, c.A))
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(rgb) // writes to memory cannot fail
	_ = zw.Close()
	dict := fmt.Sprintf(" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "+
		"/BitsPerComponent 8 /Filter /FlateDecode", b.Dx(), b.Dy())
	return &Logo{dict: dict, data: z.Bytes(), width: b.Dx(), height: b.Dy()}, nil
}

// checkImageSize reads the image header only. Returns EINVALID.
func checkImageSize(data []byte) error {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return models.Errorf(models.EINVALID, "image must be a PNG or a JPEG")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxLogoPixels {
		return models.Errorf(models.EINVALID, "image must have at most %d pixels, has %d × %d",
			MaxLogoPixels, cfg.Width, cfg.Height)
	}
	return nil
}

// overWhite composes a colour channel of alpha a over white.
func overWhite(v, a uint8) uint8 {
	return uint8((uint32(v)*uint32(a) + 255*(255-uint32(a))) / 255)
}

// fit returns the size of the logo scaled to fit w × h, keeping its
// proportions.
func (l *Logo) fit(w, h float64) (float64, float64) {
	scale := min(w/float64(l.width), h/float64(l.height))
	return float64(l.width) * scale, float64(l.height) * scale
}
