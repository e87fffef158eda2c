package printing

import (
	"bytes"
	"fmt"

	"golang.org/x/text/encoding/charmap"
)

// cellOrigin returns the lower-left corner of the i-th cell of a sheet,
// filled row by row from the top.
func cellOrigin(i int) (x, y float64) {
	col, row := i%cols, i/cols
	return marginX + float64(col)*cellW, pageH - marginY - float64(row+1)*cellH
}

// drawVoucher draws voucher v into cell i: the QR code and the code as text
// on the right; logo, value, text lines and validity on the left, clipped to
// their column so that a long text never runs into the QR code or the next
// voucher.
func (d *document) drawVoucher(i int, v Voucher) {
	x, y := cellOrigin(i)
	top := y + cellH - pad
	c := &d.content
	qx := x + cellW - pad - qrSize
	fmt.Fprintf(c, "q %s 0 0 %s %s %s cm /Q%d Do Q\n", num(qrSize), num(qrSize), num(qx), num(top-qrSize), i)
	codeSize := min(8, (qrSize-2)/(0.6*float64(max(len(v.Code), 1)))) // Courier: 0.6 em per character
	codeX := qx + (qrSize-0.6*codeSize*float64(len(v.Code)))/2
	text(c, "F3", codeSize, codeX, top-qrSize-codeSize, v.Code)

	leftW := cellW - 2*pad - qrSize - 2*mm
	fmt.Fprintf(c, "q %s %s %s %s re W n\n", num(x+pad), num(y+pad), num(leftW), num(cellH-2*pad))
	line := top
	if d.logo != nil {
		w, h := d.logo.fit(min(logoW, leftW), logoH)
		fmt.Fprintf(c, "q %s 0 0 %s %s %s cm /L Do Q\n", num(w), num(h), num(x+pad), num(top-h))
		line -= logoH + 2*mm
	}
	bottom := y + pad + 10 // keeps the validity line free
	if v.Value != "" {
		line -= 18
		text(c, "F2", 18, x+pad, line, v.Value)
		line -= 4
	}
	for k, t := range v.Texts {
		size := v.Sizes[k]
		if size <= 0 {
			size = defaultSizes[k]
		}
		if t == "" || line-size < bottom {
			continue
		}
		line -= size * 1.15
		text(c, "F1", size, x+pad, line, t)
	}
	text(c, "F1", 7, x+pad, y+pad+1, v.Validity)
	c.WriteString("Q\n")
}

// drawCutMarks draws short lines in the page margins along every edge of
// the grid of vouchers, kept 2 mm off the vouchers themselves.
func drawCutMarks(c *bytes.Buffer) {
	c.WriteString("q 0.3 w 0 G\n")
	const gap, length = 2 * mm, 6 * mm
	for col := 0; col <= cols; col++ {
		x := num(marginX + float64(col)*cellW)
		fmt.Fprintf(c, "%s %s m %s %s l S\n", x, num(pageH-marginY+gap), x, num(pageH-marginY+gap+length))
		fmt.Fprintf(c, "%s %s m %s %s l S\n", x, num(marginY-gap), x, num(marginY-gap-length))
	}
	for row := 0; row <= rows; row++ {
		y := num(marginY + float64(row)*cellH)
		fmt.Fprintf(c, "%s %s m %s %s l S\n", num(marginX-gap), y, num(marginX-gap-length), y)
		fmt.Fprintf(c, "%s %s m %s %s l S\n", num(pageW-marginX+gap), y, num(pageW-marginX+gap+length), y)
	}
	c.WriteString("Q\n")
}

// text shows s at (x, y) in font (F1 Helvetica, F2 Helvetica-Bold, F3
// Courier) of size points.
func text(c *bytes.Buffer, font string, size, x, y float64, s string) {
	if s == "" {
		return
	}
	fmt.Fprintf(c, "BT /%s %s Tf %s %s Td ", font, num(size), num(x), num(y))
	writeString(c, s)
	c.WriteString(" Tj ET\n")
}

// writeString writes s as a PDF literal string in Windows-1252, the one
// encoding the standard fonts know; other characters print as '?', control
// characters as spaces.
func writeString(c *bytes.Buffer, s string) {
	c.WriteByte('(')
	for _, r := range s {
		b, ok := charmap.Windows1252.EncodeRune(r)
		switch {
		case r < ' ':
			b = ' '
		case !ok:
			b = '?'
		case b == '(' || b == ')' || b == '\\':
			c.WriteByte('\\')
		}
		c.WriteByte(b)
	}
	c.WriteByte(')')
}
