package manifest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// viaYAMLv3 is what Marshal wrote before it had emit, and still writes for
// what emit leaves out.
func viaYAMLv3(t testing.TB, m map[string]any) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	return buf.String()
}

func assertSameAsYAMLv3(t testing.TB, name string, m map[string]any) (emitted bool) {
	var buf bytes.Buffer
	if !emit(&buf, m) {
		return false
	}
	if want := viaYAMLv3(t, m); buf.String() != want {
		t.Fatalf("%s: emit wrote\n%s\nyaml.v3 writes\n%s", name, buf.String(), want)
	}
	return true
}

// Every YAML document pipec committed for the example pipelines, decoded
// and written again by emit, comes out as yaml.v3 writes it.
func TestEmitMatchesYAMLv3OnTheCommittedManifests(t *testing.T) {
	emitted, total := 0, 0
	err := filepath.WalkDir("../../deploy", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs, err := Decode(data)
		if err != nil {
			return nil // not one of pipec's manifests (e.g. a GitHub workflow)
		}
		for _, doc := range docs {
			total++
			if assertSameAsYAMLv3(t, p, doc) {
				emitted++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Most documents must take the fast path, or it is not worth having.
	if total == 0 || emitted*10 < total*9 {
		t.Fatalf("emit wrote %d of %d documents; it should cover nearly all", emitted, total)
	}
	t.Logf("emit wrote %d of %d documents", emitted, total)
}

func TestEmitMatchesYAMLv3OnShapes(t *testing.T) {
	for name, m := range map[string]map[string]any{
		"nested":       {"a": map[string]any{"b": map[string]any{"c": "d"}, "e": []any{}}, "f": map[string]any{}},
		"list of maps": {"items": []any{map[string]any{"name": "x", "args": []any{"--a", "no"}}, map[string]any{}, "s", nil, true, int64(-3)}},
		"key order":    {"b": 1, "B": 1, "a-b": 1, "a.b": 1, "a": 1, "_x": 1, "é": 1, "Z": 1, "ab": 1, "a/b": 1},
		"quoting":      {"k": []any{"", "~", "no", "1.0", "0777", "a: b", "- x", "#c", "x #c", "'q'", "\"d\"", "*a", "&a", "!t", "%p", "@x", "`b", "{x}", "[x]", "x,y", "x:", " lead", "trail ", "\t", "é", "\u2028", "---", "...", "?", "? x", "-", "|", ">"}},
		"quoted keys":  {"": 1, "a: b": 1, "no": 1, "#": 1, "x y": 1, "-": 1},
		"deep":         deeplyNested(50), // past the 64 spaces writeIndent has at hand
		"literal blocks": {
			"clip":  "apiVersion: builtin\nkind: NamespaceTransformer\n",
			"strip": "a\n  b: c\n\n- d #e",
			"l":     []any{"x\ny\n", map[string]any{"a": "x", "m": "one\n\n  two\n"}},
			"n":     map[string]any{"o": "{x}\n'y'\n"},
		},
	} {
		for k, v := range m {
			if n, ok := v.(int); ok {
				m[k] = int64(n)
			}
		}
		if !assertSameAsYAMLv3(t, name, m) {
			t.Errorf("%s: emit left it to yaml.v3", name)
		}
	}
	for name, m := range map[string]map[string]any{
		"space before a break":    {"script": "a \nb"},
		"space at the end":        {"script": "a\nb "},
		"space first":             {"script": " a\nb"},
		"break first":             {"script": "\na"},
		"breaks at the end":       {"script": "a\nb\n\n"},
		"tab in a block":          {"script": "a\n\tb"},
		"non-ASCII in a block":    {"script": "é\nb"},
		"control char in a block": {"script": "a\x07\nb"},
		"digits in a key":         {"a10": "x", "a9": "y"},
		"list in a list":          {"l": []any{[]any{"x"}}},
		"float":                   {"f": 1.5},
		"long key":                {strings.Repeat("k", 200): "v"},
		"empty":                   {},
		// Not normalized: Marshal must normalize these first.
		"status":                 {"kind": "X", "status": map[string]any{}},
		"null creationTimestamp": {"metadata": map[string]any{"creationTimestamp": nil, "name": "x"}},
		"bad UTF-8 key":          {"labels": map[string]any{"a\xffb": "v"}},
		"bad UTF-8 value":        {"name": "a\xffb c"},
		"bad UTF-8 in a list":    {"args": []any{"ok", "\xfe"}},
		"int":                    {"replicas": 3},
		"map of strings":         {"labels": map[string]string{"a": "b"}},
	} {
		var buf bytes.Buffer
		if emit(&buf, m) {
			t.Errorf("%s: emit wrote it, but must refuse it (Marshal normalizes it first, or leaves it to yaml.v3):\n%s", name, buf.String())
		}
	}
}

func FuzzEmitMatchesYAMLv3(f *testing.F) {
	for _, s := range []string{"y", "no", "~", "1.0", "a: b", "- x", "---", "#x", "{{ ds }}", "'\"", "\t", "\u2028", "", "null", "!!binary x", "a b", "é", "a\nb\n", "a\n\n b", "a \n"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, k1, k2, v string) {
		m := map[string]any{
			k1:     v,
			k2:     map[string]any{k1: []any{v, map[string]any{k2: v, k1: nil}}},
			"list": []any{v, k1, map[string]any{k1: v}},
		}
		if !normalized(m, true) {
			// Marshal tries emit before it checks: emit must refuse.
			var buf bytes.Buffer
			if emit(&buf, m) {
				t.Fatalf("emit wrote data that is not normalized:\n%s", buf.String())
			}
			return
		}
		assertSameAsYAMLv3(t, "fuzz", m)
	})
}

// BenchmarkMarshal encodes a normalized Deployment the way targets do; the
// yaml.v3 sub-benchmark is the general encoder emit stands in for.
func BenchmarkMarshal(b *testing.B) {
	d, err := Normalize(deploymentForBench())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("emit", func(b *testing.B) {
		for b.Loop() {
			if _, err := Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		for b.Loop() {
			viaYAMLv3(b, d)
		}
	})
}

// plainWord is a shortcut past yaml.v3: every word it lets through must be
// one yaml.v3 writes unquoted, as a value and as a key.
func TestPlainWordsAreWrittenPlainByYAMLv3(t *testing.T) {
	words := append([]string{"collector", "app.kubernetes.io/name", "p0001-ingest", "v1", "a_b", "Z9", "yes9", "nO",
		"Y", "On", "NULL", "False", "x-", "a.", "e1", "inf", "nan", "Infinity", "tRuE"}, ambiguous...)
	for _, w := range words {
		if !plainWord(w) {
			continue
		}
		if got := viaYAMLv3(t, map[string]any{"k": w}); got != "k: "+w+"\n" {
			t.Errorf("plainWord(%q) = true, but yaml.v3 writes it as %q", w, got)
		}
		// Longer keys are not simple keys; keyScalar sends them to yaml.v3.
		if got := viaYAMLv3(t, map[string]any{w: true}); len(w) <= maxSimpleKey && got != w+": true\n" {
			t.Errorf("plainWord(%q) = true, but yaml.v3 writes the key as %q", w, got)
		}
	}
}

func FuzzPlainWord(f *testing.F) {
	for _, s := range []string{"on", "Off", "a-b", "x.y/z", "n", "1a", "a1",
		"serviceAccount:a@b.iam.gserviceaccount.com", "a:", "a::b", "a:-", "a@:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if !plainWord(w) {
			return
		}
		assertWrittenPlain(t, "plainWord", w, true)
	})
}

// assertWrittenPlain checks that yaml.v3 writes w as it is, as a value and
// as a list item and, when asKey is set, as a key.
func assertWrittenPlain(t testing.TB, shortcut, w string, asKey bool) {
	t.Helper()
	if got := viaYAMLv3(t, map[string]any{"k": w}); got != "k: "+w+"\n" {
		t.Errorf("%s(%q) = true, but yaml.v3 writes it as %q", shortcut, w, got)
	}
	// Longer keys are not simple keys; keyScalar sends them to yaml.v3.
	if got := viaYAMLv3(t, map[string]any{w: true}); asKey && len(w) <= maxSimpleKey && got != w+": true\n" {
		t.Errorf("%s(%q) = true, but yaml.v3 writes it as a key as %q", shortcut, w, got)
	}
	if got := viaYAMLv3(t, map[string]any{"k": []any{w}}); got != "k:\n- "+w+"\n" {
		t.Errorf("%s(%q) = true, but yaml.v3 writes it in a list as %q", shortcut, w, got)
	}
}

// FuzzCompareKeys: the ASCII shortcut in compareKeys orders keys as the
// rune-by-rune comparison does, and both as yaml.v3 does.
func FuzzCompareKeys(f *testing.F) {
	for _, p := range [][2]string{{"a", "b"}, {"ab", "a"}, {"a-b", "ab"}, {"B", "a"}, {"é", "e"}, {"aé", "a_"}, {"_", "Z"}, {"", "x"}, {"xé", "xè"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsFunc(a+b, unicode.IsDigit) || !utf8.ValidString(a) || !utf8.ValidString(b) || a == b {
			return // digits are left to yaml.v3; invalid UTF-8 is refused
		}
		if got, want := sign(compareKeys(a, b)), sign(compareRunes(a, b)); got != want {
			t.Fatalf("compareKeys(%q, %q) = %d, rune by rune %d", a, b, got, want)
		}
		assertSameAsYAMLv3(t, "fuzz", map[string]any{a: "1", b: "2"})
	})
}

func sign(n int) int { return min(max(n, -1), 1) }

// deeplyNested is depth maps one in another, with a list at the bottom.
func deeplyNested(depth int) map[string]any {
	m := map[string]any{"leaf": []any{"x", map[string]any{"k": "v"}}}
	for range depth {
		m = map[string]any{"in": m}
	}
	return m
}

func FuzzPlainPhrase(f *testing.F) {
	for _, s := range []string{"p0001 service ingest", "Events of p0001, one partition per day.", "a:$COMMIT_SHA",
		"serviceAccount:x.svc.id.goog[ns/sa]", "a b", "a  b", "a : b", "a: b", "a #b", "a,", "on", "No", "x=1", "a [b]", "a - b", "a -b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if !plainPhrase(w) {
			return
		}
		assertWrittenPlain(t, "plainPhrase", w, false) // phrases are never keys
	})
}

func FuzzHasDigit(f *testing.F) {
	for _, s := range []string{"", "a", "a1", "é", "é1", "x\u0663", "\u0663", "\xff9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasDigit(s), strings.ContainsFunc(s, unicode.IsDigit); got != want {
			t.Fatalf("hasDigit(%q) = %v, want %v", s, got, want)
		}
	})
}
