package models

// Product is an entry of a tenant's catalogue. Vouchers and orders refer to
// products by PLU (validation rules {field: "product", value: "<PLU>"},
// order items' productId), so the PLU, not the id, is what matters; the
// catalogue lets a manager find it by name. Price is in cents.
type Product struct {
	Base
	PLU        int64  `json:"plu" gorm:"column:plu"`
	Name       string `json:"name"`
	ReportName string `json:"reportName"`
	Price      int64  `json:"price"`
	Barcode    string `json:"barcode"`
}

// Validate checks the required fields and the bounds of PLU and price.
func (p *Product) Validate() error {
	if p.PLU <= 0 {
		return FieldError("plu", "is required and must be positive")
	}
	if p.Price < 0 || p.Price > MaxAmount {
		return FieldError("price", "must be 0 to %d cents", int64(MaxAmount))
	}
	return required("name", p.Name)
}

// Refs returns no references: a PLU is a number the machines know, not a row.
func (p *Product) Refs() []Ref { return nil }
