package airflow

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPyString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"{{ ds }}", `"{{ ds }}"`},
		{`say "hi"`, `"say \"hi\""`},
		{"it's", `"it's"`},
		{`C:\dir\`, `"C:\\dir\\"`},
		{"a\nb\r\tc", `"a\nb\r\tc"`},
		{"nul\x00", `"nul\x00"`},
		{"\x7f", `"\x7f"`},
		{"é", `"\xe9"`},
		{"한", `"\ud55c"`},
		{"\u2028", `"\u2028"`},
		{"\U0001F600", `"\U0001f600"`},
		{"\xff", `"\udcff"`},
		{`\N{BULLET}`, `"\\N{BULLET}"`},
	} {
		if got := pyString(tc.in); got != tc.want {
			t.Errorf("pyString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// unquote reads a literal the way Python does, for the escapes pyString
// writes, and refuses anything else: raw control characters, non-ASCII,
// a quote or backslash that is not escaped, an unknown escape. Surrogate
// escapes \udc80-\udcff give back the byte they stand for.
func unquote(q string) (string, error) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", fmt.Errorf("not a double-quoted literal")
	}
	body := q[1 : len(q)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c < 0x20 || c >= 0x7f {
			return "", fmt.Errorf("raw byte %#x at %d", c, i)
		}
		if c == '"' {
			return "", fmt.Errorf("unescaped quote at %d", i)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(body) {
			return "", fmt.Errorf("trailing backslash")
		}
		hexRune := func(n int) (rune, error) {
			if i+n >= len(body) {
				return 0, fmt.Errorf("short escape at %d", i)
			}
			v, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			i += n
			return rune(v), err
		}
		switch body[i] {
		case '"', '\\':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[body[i]]
			r, err := hexRune(n)
			if err != nil {
				return "", err
			}
			switch {
			case r >= 0xdc80 && r <= 0xdcff:
				b.WriteByte(byte(r - 0xdc00))
			case !utf8.ValidRune(r):
				return "", fmt.Errorf("escape of %#x is not a character", r)
			default:
				b.WriteRune(r)
			}
		default:
			return "", fmt.Errorf("unknown escape \\%c", body[i])
		}
	}
	return b.String(), nil
}

// FuzzPyString checks that every string, valid UTF-8 or not, becomes one
// printable-ASCII literal that reads back as the same bytes.
func FuzzPyString(f *testing.F) {
	for _, s := range append(tricky, "", "\xff\xfe", "\xed\xa0\x80", "a\\", "\\\"", "\x7f\x80\u0080\u00ff\u0100") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := pyString(s)
		got, err := unquote(q)
		if err != nil {
			t.Fatalf("pyString(%q) = %s: %v", s, q, err)
		}
		if got != s {
			t.Fatalf("pyString(%q) = %s reads back as %q", s, q, got)
		}
	})
}

// TestPyStringAgainstPython runs Python's own parser over many strings, in
// one process: each literal must evaluate (ast.literal_eval) to the
// original bytes, and must stay one argument when put between code, so no
// value can add code around it.
func TestPyStringAgainstPython(t *testing.T) {
	py := python3(t)
	cases := append([]string{}, tricky...)
	cases = append(cases, "", "\xff", "a\xc3", "\xed\xa0\x80", "\x7f\x80", `\`, `\\\`, "\"\"\"\\\"", "\U0010ffff", "\ud7ff\ue000")
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', ' ', '"', '\'', '\\', '{', '}', '%', '#', '\n', '\r', '\t', 0, 0x7f, 0x85, 0xa0, 0x2028, 0x202e, 0xfeff, 0xfffd, 0x1f600}
	for range 2000 {
		var b strings.Builder
		for range r.IntN(12) {
			if r.IntN(10) == 0 {
				b.WriteByte(byte(0x80 + r.IntN(0x80)))
			} else {
				b.WriteRune(alphabet[r.IntN(len(alphabet))])
			}
		}
		cases = append(cases, b.String())
	}
	var lines strings.Builder
	for _, s := range cases {
		fmt.Fprintf(&lines, "%s\t%s\n", pyString(s), hex.EncodeToString([]byte(s)))
	}
	input := filepath.Join(t.TempDir(), "literals.txt")
	if err := os.WriteFile(input, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const program = `
import ast, sys
bad = 0
lines = open(sys.argv[1], encoding="ascii").read().splitlines()
for n, line in enumerate(lines, 1):
    literal, want = line.rsplit("\t", 1)
    got = ast.literal_eval(literal).encode("utf-8", "surrogateescape").hex()
    call = ast.parse("f(" + literal + ", 1)\n").body[0].value
    one = isinstance(call, ast.Call) and len(call.args) == 2 and isinstance(call.args[0], ast.Constant)
    if got != want or not one:
        bad += 1
        print(f"line {n}: {literal} gives {got}, want {want}; one argument: {one}")
print(f"{len(lines)} literals, {bad} wrong")
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(py, "-c", program, input).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
