package dockerfile

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"collect.py", "collect.py"},
		{"/app/lib", "/app/lib"},
		{"a=b,c:d@e%f+g", "a=b,c:d@e%f+g"},
		{"", `""`},
		{"my notes.txt", `"my notes.txt"`},
		{`say "hi"`, `"say \"hi\""`},
		{"$HOME", `"\$HOME"`},
		{`C:\dir\`, `"C:\\dir\\"`},
		{"it's", `"it's"`},
		{"<<EOF", `"<<EOF"`},
		{"\ufeffbom", "\"\ufeffbom\""},
	} {
		if got, err := quote(tc.in); err != nil || got != tc.want {
			t.Errorf("quote(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"a\nb", "\n", "a\x00b", "\xff"} {
		if got, err := quote(in); err == nil {
			t.Errorf("quote(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzQuote checks that whatever quote accepts comes back unchanged from
// BuildKit, both as an ENV value and as a COPY argument in exec form,
// after its parser and its shell lexer (with variables set, so that an
// unescaped '$' would show); and that it refuses only what a Dockerfile
// cannot hold.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{
		"", "plain", "with space", `a"b`, "a'b", `'`, `"`, `\`, `\\`, `a\`, `\"`,
		"$HOME", "${HOME}", "$", "${", "${HOME:-x}", `\$HOME`, "`date`",
		"tab\there", "cr\rhere", "trailing cr\r", " lead and trail ", "#not a comment",
		"<<EOF", "<< EOF", "--flag=x", "[\"json\"]", "a=b", "\u00a0nbsp\u00a0", "\u2028", "\ufeff",
		"new\nline", "nul\x00", "\xff\xfe", "ünïcödé ✓",
	} {
		f.Add(s)
	}
	lex := shell.NewLex('\\')
	env := shell.EnvsFromSlice([]string{"HOME=/root", "PATH=/bin", "A=expanded"})
	expand := func(word string) (string, error) {
		w, _, err := lex.ProcessWord(word, env)
		return w, err
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := quote(s)
		unwritable := strings.ContainsAny(s, "\n\x00") || !utf8.ValidString(s)
		if err != nil {
			if !unwritable {
				t.Fatalf("quote(%q) refused a writable value: %v", s, err)
			}
			return
		}
		if unwritable {
			t.Fatalf("quote(%q) = %q, want an error", s, q)
		}
		args, err := execForm([]string{q, "/dst"})
		if err != nil {
			t.Fatal(err)
		}
		dockerfile := "FROM scratch\nENV K=" + q + " AFTER=1\nCOPY " + args + "\nUSER 1\n"
		res, err := parser.Parse(strings.NewReader(dockerfile))
		if err != nil {
			t.Fatalf("parse %q: %v", dockerfile, err)
		}
		stages, _, err := instructions.Parse(res.AST, nil)
		if err != nil {
			t.Fatalf("instructions %q: %v", dockerfile, err)
		}
		if len(stages) != 1 || len(stages[0].Commands) != 3 {
			t.Fatalf("%q: want one stage of three instructions, got %d stages %v", dockerfile, len(stages), stages)
		}
		for _, cmd := range stages[0].Commands {
			if err := cmd.(instructions.SupportsSingleWordExpansion).Expand(expand); err != nil {
				t.Fatalf("expand %s: %v", cmd, err)
			}
		}
		envCmd, ok := stages[0].Commands[0].(*instructions.EnvCommand)
		if !ok || len(envCmd.Env) != 2 || envCmd.Env[0].Key != "K" || envCmd.Env[1].Key != "AFTER" {
			t.Fatalf("%q: ENV read as %#v", dockerfile, stages[0].Commands[0])
		}
		if got := envCmd.Env[0].Value; got != s {
			t.Errorf("ENV value %q came back as %q (written %q)", s, got, q)
		}
		cp, ok := stages[0].Commands[1].(*instructions.CopyCommand)
		if !ok || len(cp.SourcePaths) != 1 || len(cp.SourceContents) != 0 || cp.DestPath != "/dst" {
			t.Fatalf("%q: COPY read as %#v", dockerfile, stages[0].Commands[1])
		}
		if got := cp.SourcePaths[0]; got != s {
			t.Errorf("COPY path %q came back as %q (written %q)", s, got, q)
		}
	})
}
