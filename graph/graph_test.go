package graph

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// example compiles an example pipeline and returns its first environment.
func example(t *testing.T, name string) *schema.Pipeline {
	t.Helper()
	res, err := compiler.Compile(context.Background(), []string{filepath.Join("..", "pipelines", name)}, compiler.Options{Root: ".."})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || len(res.Specs) != 1 {
		t.Fatalf("%s does not compile: %v", name, res.Diagnostics)
	}
	return res.Specs[0].Envs[0]
}

// TestGolden keeps both examples' graphs under review in testdata/:
// go test -update rewrites them.
func TestGolden(t *testing.T) {
	for _, name := range []string{"tweets", "warehouse"} {
		g := New(example(t, name))
		for ext, data := range map[string][]byte{"mmd": g.Mermaid(), "dot": g.DOT()} {
			file := filepath.Join("testdata", name+"."+ext)
			if *update {
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%s differs (go test -update rewrites it):\n%s", file, data)
			}
		}
	}
}

// The lines a Mermaid flowchart from this package may hold. They are a
// small subset of Mermaid's grammar, enough to catch a broken shape, an
// unquoted label or an edge to nowhere.
var (
	mermaidID       = `[A-Za-z][A-Za-z0-9_]*`
	mermaidLabel    = `"[^"\n]*"`
	mermaidNodeLine = regexp.MustCompile(`^\s*(` + mermaidID + `)(\[\[` + mermaidLabel + `\]\]|\[` + mermaidLabel + `\]|>` + mermaidLabel + `\]|\(\[` + mermaidLabel + `\]\)|\(` + mermaidLabel + `\)|\[\(` + mermaidLabel + `\)\])$`)
	mermaidEdgeLine = regexp.MustCompile(`^\s*(` + mermaidID + `) (-->|-\.->)(\|` + mermaidLabel + `\|)? (` + mermaidID + `)$`)
	mermaidSubgraph = regexp.MustCompile(`^\s*subgraph (` + mermaidID + `)\[` + mermaidLabel + `\]$`)
)

// checkMermaid parses a flowchart line by line: a header, then nodes,
// subgraphs and edges; every ID defined once, every edge between defined
// nodes, subgraphs balanced.
func checkMermaid(chart []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(chart), "\n"), "\n")
	defined := map[string]bool{}
	depth, header := 0, false
	for i, line := range lines {
		at := fmt.Sprintf("line %d %q", i+1, line)
		switch m := mermaidNodeLine.FindStringSubmatch(line); {
		case strings.HasPrefix(strings.TrimSpace(line), "%%"):
		case line == "flowchart LR":
			if header {
				return fmt.Errorf("%s: a second header", at)
			}
			header = true
		case !header:
			return fmt.Errorf("%s: before the flowchart header", at)
		case m != nil:
			if defined[m[1]] {
				return fmt.Errorf("%s: duplicate id %s", at, m[1])
			}
			defined[m[1]] = true
		case mermaidSubgraph.MatchString(line):
			id := mermaidSubgraph.FindStringSubmatch(line)[1]
			if defined[id] {
				return fmt.Errorf("%s: duplicate id %s", at, id)
			}
			defined[id] = true
			depth++
		case strings.TrimSpace(line) == "end":
			if depth--; depth < 0 {
				return fmt.Errorf("%s: end without subgraph", at)
			}
		default:
			e := mermaidEdgeLine.FindStringSubmatch(line)
			if e == nil {
				return fmt.Errorf("%s: neither a node, a subgraph nor an edge", at)
			}
			for _, id := range []string{e[1], e[4]} {
				if !defined[id] {
					return fmt.Errorf("%s: edge to undefined node %s", at, id)
				}
			}
		}
	}
	if depth != 0 || !header {
		return fmt.Errorf("unbalanced subgraphs (%d open) or no header", depth)
	}
	return nil
}

func TestMermaidParses(t *testing.T) {
	for _, name := range []string{"tweets", "warehouse"} {
		if err := checkMermaid(New(example(t, name)).Mermaid()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := checkMermaid([]byte("flowchart LR\n  a[\"x\"]\n  a[\"y\"]\n")); err == nil {
		t.Error("the check accepts a duplicate id")
	}
	if err := checkMermaid([]byte("flowchart LR\n  a[\"x\"]\n  a --> b\n")); err == nil {
		t.Error("the check accepts an edge to an undefined node")
	}
}

// TestIDsUniqueWhenNamesCollide pins names that differ only in characters
// an ID cannot hold, and a Mermaid keyword as a name.
func TestIDsUniqueWhenNamesCollide(t *testing.T) {
	p := &schema.Pipeline{
		Name: "x", Env: "dev",
		Topics: map[string]*schema.Topic{"a-b": {}, "a_b": {}, "a.b": {}, "end": {}, `q"%`: {}},
		Images: map[string]*schema.Image{"end": {}},
	}
	g := New(p)
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		if seen[n.ID] {
			t.Errorf("duplicate id %s", n.ID)
		}
		seen[n.ID] = true
	}
	if len(g.Nodes) != 6 {
		t.Errorf("got %d nodes, want 6", len(g.Nodes))
	}
	if err := checkMermaid(g.Mermaid()); err != nil {
		t.Errorf("%v\n%s", err, g.Mermaid())
	}
}

// TestDeterministic draws the same pipeline repeatedly: Go's map order
// must not leak into the output.
func TestDeterministic(t *testing.T) {
	p := example(t, "warehouse")
	first := New(p).Mermaid()
	for range 20 {
		if got := New(p).Mermaid(); !bytes.Equal(got, first) {
			t.Fatalf("output differs between runs:\n%s\n---\n%s", first, got)
		}
	}
}

// TestREADMEShowsTheExamples keeps the README's graphs those of the
// examples: after go test -update, paste the changed testdata/*.mmd there.
func TestREADMEShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tweets", "warehouse"} {
		chart, err := os.ReadFile(filepath.Join("testdata", name+".mmd"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(readme, append(append([]byte("```mermaid\n"), chart...), "```\n"...)) {
			t.Errorf("README.md does not show graph/testdata/%s.mmd in a mermaid block", name)
		}
	}
}
