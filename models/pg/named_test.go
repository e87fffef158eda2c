package pg

import (
	"strings"
	"testing"
)

func TestNamed(t *testing.T) {
	n := Named(`SELECT @b::bigint, x FROM t WHERE a @> ARRAY[@a] AND c = '@not' AND d = @b`)
	if strings.Contains(n.SQL, "@b") || strings.Contains(n.SQL, "@a") || !strings.Contains(n.SQL, "'@not'") ||
		!strings.Contains(n.SQL, "@>") {
		t.Fatalf("rewritten: %s", n.SQL)
	}
	args, err := n.Args(map[string]any{"a": 1, "b": 2})
	if err != nil || len(args) != 2 || args[0] != 2 || args[1] != 1 {
		t.Fatalf("args = %v, %v; want [2 1]", args, err)
	}
	if _, err := n.Args(map[string]any{"a": 1}); err == nil || !strings.Contains(err.Error(), `"b" is missing`) {
		t.Fatalf("missing b: %v", err)
	}
	if _, err := n.Args(map[string]any{"a": 1, "b": 2, "z": 3}); err == nil || !strings.Contains(err.Error(), `"z"`) {
		t.Fatalf("extra z: %v", err)
	}
}
