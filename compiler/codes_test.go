package compiler

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// diagnosticsDoc renders docs/diagnostics.md from Codes.
func diagnosticsDoc() string {
	var b strings.Builder
	b.WriteString(`<!-- Generated from compiler/codes.go by ` + "`go test ./compiler -run DiagnosticsDoc -update`" + `. DO NOT EDIT. -->
# pipec diagnostics

Every finding of ` + "`pipec vet`, `pipec build` and `pipec lock`" + ` has a position, a path in
the spec, a message that says how to fix it, a severity (error or warning) and
a stable code. Codes never change meaning; tools may filter on them.

` + "`--format`" + ` chooses how findings are printed:

- ` + "`text`" + ` (default), on stderr: ` + "`file:line:col: path: message`" + `, warnings marked
  ` + "`warning:`" + `. Colour only on a terminal, never with ` + "`NO_COLOR`" + ` set.
- ` + "`json`" + `, on stdout: one object per line, with exactly these fields:
  ` + "`" + `{"file": "p/pipeline.cue", "line": 12, "column": 38, "path": "subscriptions.\"orders-sub\".topic", "code": "PC3001", "message": "...", "severity": "error"}` + "`" + `.
  ` + "`file`" + ` is relative to the working directory; ` + "`line`" + ` and ` + "`column`" + ` are 1-based,
  and 0 (with an empty ` + "`file`" + `) for a finding about the command line.
- ` + "`github`" + `, on stdout: GitHub Actions workflow commands
  (` + "`::error file=F,line=L,col=C,title=CODE::path: message`" + `, or ` + "`::warning ...`" + `), which
  annotate the lines of a pull request.

` + "`--strict`" + ` turns warnings into errors. Exit codes: 0 ok (warnings allowed), 1
findings, 2 usage or internal error.

| code | meaning |
|---|---|
`)
	for _, c := range Codes {
		fmt.Fprintf(&b, "| [%s](#%s) | %s |\n", c.Code, strings.ToLower(string(c.Code)), c.Title)
	}
	for _, c := range Codes {
		fmt.Fprintf(&b, "\n## %s\n\n**%s.**\n\nExample:\n\n```\n%s\n```\n\nFix: %s\n", c.Code, c.Title, c.Example, c.Fix)
	}
	return b.String()
}

// TestDiagnosticsDoc keeps docs/diagnostics.md equal to what Codes says.
func TestDiagnosticsDoc(t *testing.T) {
	const path = "../docs/diagnostics.md"
	want := diagnosticsDoc()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/diagnostics.md is stale: run go test ./compiler -run DiagnosticsDoc -update")
	}
}

// TestEveryCodeIsDocumentedOnce: a code used in a finding must be in Codes,
// or no one can look it up.
func TestEveryCodeIsDocumentedOnce(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes {
		if seen[c.Code] {
			t.Errorf("%s is documented twice", c.Code)
		}
		seen[c.Code] = true
		if c.Title == "" || c.Example == "" || c.Fix == "" {
			t.Errorf("%s lacks a title, an example or a fix", c.Code)
		}
	}
	src, err := os.ReadFile("codes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "Code" && f[2] == "=" && !seen[Code(strings.Trim(f[3], `"`))] {
			t.Errorf("%s (%s) is not documented in Codes", f[3], f[0])
		}
	}
}
