package web

import (
	"testing"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models"
)

// FuzzDeviceBodies decodes any bytes as the bodies of the device routes
// (validate, redeem, rollback): decoding never panics, and whatever it
// accepts holds only text PostgreSQL can store.
func FuzzDeviceBodies(f *testing.F) {
	f.Add([]byte(`{"deviceId":"host-1","order":{"id":"o-1","amount":180},"demand":{"amount":180}}`))
	f.Add([]byte(`{"deviceId":"host-1","lockDuration":30,"order":{"items":[{"productId":"5","quantity":1,"price":120}]}}`))
	f.Add([]byte(`{"deviceId":"x\u0000y"}`))
	f.Add([]byte("{\"deviceId\":\"\xff\"}"))
	f.Add([]byte(`{"order":{"id":"a","items":[{"quantity":2,"price":4611686018427387904}]}}`))
	f.Add([]byte(`{"deviceId":"h","order":{"id":"same"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v vouchers.ValidateRequest
		var r vouchers.RedeemRequest
		var rb vouchers.RollbackRequest
		for _, dst := range []any{&v, &r, &rb} {
			if decodeBytes(body, dst) != nil {
				continue
			}
			if err := checkDecoded(dst); err != nil {
				t.Fatalf("decodeBytes accepted %q holding %v", body, err)
			}
		}
		if decodeBytes(body, &r) == nil && r.Order != nil {
			if models.CheckText("order.id", r.Order.ID, 0) != nil {
				t.Fatalf("accepted order id %q", r.Order.ID)
			}
		}
	})
}
