package airflow

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// render decides whether an expression fits on a line by flatLen alone, so
// flatLen must be the length of flat for every shape an expression takes.
func TestFlatLenIsTheLengthOfFlat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) expr
	gen = func(depth int) expr {
		n := r.IntN(4) // 0..3 items, so empty containers come up too
		if depth == 0 || r.IntN(3) == 0 {
			return lit(strings.Repeat("x", r.IntN(12)))
		}
		switch r.IntN(3) {
		case 0:
			c := &call{fn: "f" + strings.Repeat("n", r.IntN(5))}
			for range n {
				c.args = append(c.args, gen(depth-1))
			}
			for i := range r.IntN(3) {
				c.kw(strings.Repeat("k", i+1), gen(depth-1))
			}
			return c
		case 1:
			var l list
			for range n {
				l = append(l, gen(depth-1))
			}
			return l
		default:
			var d dict
			for range n {
				d = append(d, struct{ key, value expr }{gen(0), gen(depth - 1)})
			}
			return d
		}
	}
	for i := range 2000 {
		e := gen(4)
		if got, want := e.flatLen(), len(e.flat()); got != want {
			t.Fatalf("case %d: flatLen() = %d, len(flat()) = %d for %s", i, got, want, e.flat())
		}
	}
}

// A call that fits in the width exactly stays on its line; one more
// character breaks it, as black does.
func TestRenderBreaksAtTheWidth(t *testing.T) {
	arg := func(n int) expr { return lit(strings.Repeat("a", n)) }
	// "f(" + arg + ")" is 3 characters around the argument.
	fits := &call{fn: "f", args: []expr{arg(width - 3)}}
	if got := render(fits, 0, 0); strings.Contains(got, "\n") {
		t.Errorf("a call of exactly %d characters was broken:\n%s", width, got)
	}
	over := &call{fn: "f", args: []expr{arg(width - 2)}}
	want := "f(\n    " + strings.Repeat("a", width-2) + ",\n)"
	if got := render(over, 0, 0); got != want {
		t.Errorf("a call of %d characters:\ngot  %q\nwant %q", width+1, got, want)
	}
}
