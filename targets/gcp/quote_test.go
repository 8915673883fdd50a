package gcp

import (
	"os/exec"
	"strings"
	"testing"
)

// hostile are values that break naive quoting.
var hostile = []string{
	"", "plain", "two words", "it's", "'", "''", `'\''`, `"$HOME"`, "$(touch /tmp/pwned)",
	"`id`", `back\slash`, "new\nline", "tab\there", "semi;colon && ls | cat > x", "!event",
	"*", "~", "{a,b}", "--flag", "-", "é ü 漢字 🙂", "\x01\x7f", "\xff\xfe", "a\rb",
}

// FuzzShellQuote passes each value through bash as one argument and
// checks bash hands back exactly the same bytes.
func FuzzShellQuote(f *testing.F) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		f.Skip("bash not found")
	}
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := shellQuote(s)
		if strings.ContainsRune(s, 0) {
			if err == nil {
				t.Fatalf("shellQuote(%q) = %s, want an error", s, q)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bash, "-c", "printf %s "+q).Output()
		if err != nil {
			t.Fatalf("bash -c 'printf %%s %s': %v", q, err)
		}
		if string(out) != s {
			t.Fatalf("%q came back as %q (quoted %s)", s, out, q)
		}
	})
}

// TestGcloudJSON compares gcloudJSON with what gcloud's JSON printer
// writes: Python's json.dumps with the same options.
func TestGcloudJSON(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	strs := map[string]any{}
	for i, s := range hostile {
		if strings.ToValidUTF8(s, "") == s {
			strs[string(rune('a'+i))] = s
		}
	}
	v := map[string]any{
		"ackDeadlineSeconds": 60,
		"enabled":            true,
		"empty":              map[string]any{},
		"labels":             map[string]string{"b": "2", "a": "1"},
		"strings":            strs,
		"nested":             map[string]any{"z": map[string]any{"y": "x"}},
	}
	got := gcloudJSON(v)
	// The value reaches Python as JSON from Go; Python re-prints it.
	py := `import json, sys; print(json.dumps(json.load(sys.stdin), ensure_ascii=False, indent=2, separators=(',', ': '), sort_keys=True), end='')`
	cmd := exec.Command(python, "-c", py)
	cmd.Stdin = strings.NewReader(got)
	cmd.Env = append(cmd.Environ(), "PYTHONIOENCODING=utf-8")
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("gcloudJSON:\n%s\npython:\n%s", got, want)
	}
}
