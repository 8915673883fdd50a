package compiler

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
)

// The schema pipec evaluates has the enumerations of strings as patterns,
// the long ones included, and their defaults kept.
func TestEnumerationsBecomePatterns(t *testing.T) {
	f, err := evalSchemaFile()
	if err != nil {
		t.Fatal(err)
	}
	src, err := format.Node(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`type: =~"^(BIGNUMERIC|BOOL|BOOLEAN|BYTES|DATE|DATETIME|FLOAT|FLOAT64|GEOGRAPHY|INT64|INTEGER|JSON|NUMERIC|RECORD|STRING|STRUCT|TIME|TIMESTAMP)$"`,
		`mode: *"NULLABLE" | =~"^(NULLABLE|REPEATED|REQUIRED)$"`,
		`#Runner: =~"^(docker|kubernetes_executor|kubernetes_pod)$"`,
		`tool: *"none" | =~"^(argocd|flux|none)$"`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the evaluated schema lacks %s", want)
		}
	}
	if len(enumsByPattern) < 5 {
		t.Errorf("only %d enumerations rewritten: %v", len(enumsByPattern), enumsByPattern)
	}
}

// Each pattern accepts exactly its enumeration's strings, and what it
// refuses reads as the disjunction's error did.
func TestEnumPatternsAcceptWhatTheEnumerationsDid(t *testing.T) {
	if _, err := evalSchemaFile(); err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	for pattern, allowed := range enumsByPattern {
		match := ctx.CompileString(`=~` + literal.String.Quote(pattern))
		if err := match.Err(); err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		for _, quoted := range strings.Split(allowed, ", ") {
			s := strings.Trim(quoted, `"`)
			if err := match.Unify(ctx.Encode(s)).Validate(cue.Concrete(true)); err != nil {
				t.Errorf("%s refuses %s: %v", pattern, quoted, err)
			}
			for _, near := range []string{s + "x", "x" + s, strings.ToUpper(s[:1]) + strings.ToLower(s[1:]) + "_", ""} {
				err := match.Unify(ctx.Encode(near)).Validate(cue.Concrete(true))
				if err == nil {
					t.Errorf("%s accepts %q", pattern, near)
					continue
				}
				want := `"` + near + `" is not allowed; use one of ` + allowed
				if msg := flatten(err); len(msg) != 1 || msg[0].msg != want {
					t.Errorf("%s, %q: got %+v, want %s", pattern, near, msg, want)
				}
			}
		}
		err := match.Unify(ctx.Encode(4)).Validate(cue.Concrete(true))
		if msg := flatten(err); len(msg) != 1 || msg[0].msg != "4 is not allowed; use one of "+allowed {
			t.Errorf("%s, 4: got %+v", pattern, msg)
		}
	}
}
