package printing

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/vendrule/vendrule/models"
)

// image1 is a PDF image XObject: its dictionary entries and its samples.
type image1 struct {
	dict string
	data []byte
}

// encodeQR returns code as a QR code image (error correction M, with its
// quiet zone) of one sample per module, 1 bit deep: scaled up in the page,
// it stays sharp at any size because Interpolate is off.
func encodeQR(code string) (image1, error) {
	q, err := qrcode.New(code, qrcode.Medium)
	if err != nil {
		return image1{}, models.Errorf(models.EINVALID, "code %q cannot be a QR code: %v", code, err)
	}
	bits := q.Bitmap()
	n := len(bits)
	stride := (n + 7) / 8
	data := make([]byte, stride*n)
	for y, row := range bits {
		for x, black := range row {
			if !black { // DeviceGray 1 bit: 1 is white
				data[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	dict := fmt.Sprintf(" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "+
		"/BitsPerComponent 1 /Interpolate false", n, n)
	return image1{dict: dict, data: data}, nil
}
