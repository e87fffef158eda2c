package alerts

import (
	"testing"

	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
