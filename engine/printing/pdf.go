package printing

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// pdfWriter writes a PDF one object at a time. Nothing of an object is kept
// once written but its offset (8 bytes) for the cross-reference table, so a
// sheet of 10 000 vouchers needs about the memory of one page. The PDF
// libraries we looked at (go-pdf/fpdf among them) keep every page in memory
// until the document is closed, which is why the sheet has its own writer.
type pdfWriter struct {
	w       *bufio.Writer
	n       int64   // bytes written
	offsets []int64 // offsets[i] is where object i+1 starts; 0: reserved, not written yet
	err     error
	zbuf    bytes.Buffer
	z       *zlib.Writer
}

func newPDFWriter(w io.Writer) *pdfWriter {
	p := &pdfWriter{w: bufio.NewWriterSize(w, 64<<10)}
	p.z, _ = zlib.NewWriterLevel(&p.zbuf, zlib.BestSpeed)
	p.printf("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n")
	return p
}

func (p *pdfWriter) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	n, err := fmt.Fprintf(p.w, format, args...)
	p.n += int64(n)
	p.err = err
}

func (p *pdfWriter) write(b []byte) {
	if p.err != nil {
		return
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.err = err
}

// reserve returns the number of an object to be written later.
func (p *pdfWriter) reserve() int {
	p.offsets = append(p.offsets, 0)
	return len(p.offsets)
}

// object writes object num (reserved) with the dictionary or value body.
func (p *pdfWriter) object(num int, body string) {
	p.begin(num)
	p.printf("%s\nendobj\n", body)
}

func (p *pdfWriter) begin(num int) {
	p.offsets[num-1] = p.n
	p.printf("%d 0 obj\n", num)
}

// stream writes object num as a stream of data, flate-compressed; dict holds
// the entries other than Length and Filter.
func (p *pdfWriter) stream(num int, dict string, data []byte) {
	p.zbuf.Reset()
	p.z.Reset(&p.zbuf)
	if _, err := p.z.Write(data); err != nil && p.err == nil {
		p.err = err
	}
	if err := p.z.Close(); err != nil && p.err == nil {
		p.err = err
	}
	p.rawStream(num, dict+" /Filter /FlateDecode", p.zbuf.Bytes())
}

// rawStream writes object num as a stream of data as it is (already encoded
// as dict says).
func (p *pdfWriter) rawStream(num int, dict string, data []byte) {
	p.begin(num)
	p.printf("<<%s /Length %d>>\nstream\n", dict, len(data))
	p.write(data)
	p.printf("\nendstream\nendobj\n")
}

// finish writes the cross-reference table and the trailer for the catalog
// object root, and flushes.
func (p *pdfWriter) finish(root int) error {
	xref := p.n
	p.printf("xref\n0 %d\n0000000000 65535 f \n", len(p.offsets)+1)
	for _, off := range p.offsets {
		p.printf("%010d 00000 n \n", off)
	}
	p.printf("trailer\n<</Size %d /Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(p.offsets)+1, root, xref)
	if p.err != nil {
		return p.err
	}
	return p.w.Flush()
}
