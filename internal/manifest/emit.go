package manifest

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// emit writes normalized data the way Marshal's yaml.v3 encoder does, at a
// fraction of its cost: a build writes hundreds of thousands of small
// documents, and the general encoder spends most of its time analysing the
// same few thousand strings again and again. It covers the shapes pipec
// writes (maps of scalars, maps and lists; lists of scalars and maps) and
// reports false for anything else (a multi-line string, a long key, a list
// directly inside a list, a key with digits, whose order yaml.v3 sorts
// numerically), which Marshal then leaves to yaml.v3. Multi-line strings
// are covered only in the plain form of a literal block (see blockText).
// Tests hold the two to byte-for-byte equality.
//
// It also reports false for data that is not normalized (see normalized):
// a top-level "status", a null "creationTimestamp", invalid UTF-8, a type
// other than those Normalize returns. Marshal tries it before checking.
func emit(buf *bytes.Buffer, m map[string]any) bool {
	if _, ok := m["status"]; ok {
		return false
	}
	return len(m) > 0 && emitMap(buf, m, 0, false)
}

func emitMap(buf *bytes.Buffer, m map[string]any, indent int, inline bool) bool {
	// Most maps have a few keys: room for them on the stack spares an
	// allocation per map.
	var room [16]string
	keys := room[:0]
	for k := range m {
		if hasDigit(k) {
			return false
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	for i, k := range keys {
		if i > 0 || !inline {
			writeIndent(buf, indent)
		}
		key, ok := keyScalar(k)
		if !ok {
			return false
		}
		buf.WriteString(key)
		buf.WriteByte(':')
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				buf.WriteString(" {}\n")
				continue
			}
			buf.WriteByte('\n')
			if !emitMap(buf, v, indent+2, false) {
				return false
			}
		case []any:
			if len(v) == 0 {
				buf.WriteString(" []\n")
				continue
			}
			// A list in a map sits at the key's indentation
			// (yaml.v3's CompactSeqIndent).
			buf.WriteByte('\n')
			if !emitList(buf, v, indent) {
				return false
			}
		case nil:
			if k == "creationTimestamp" || !emitScalar(buf, v) {
				return false
			}
		default:
			if !emitValue(buf, v, indent+2) {
				return false
			}
		}
	}
	return true
}

// hasDigit reports whether s holds a decimal digit of any script, as
// unicode.IsDigit tells, looking at ASCII bytes without decoding them.
func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			return true
		} else if c >= utf8.RuneSelf {
			return strings.ContainsFunc(s[i:], unicode.IsDigit)
		}
	}
	return false
}

func emitList(buf *bytes.Buffer, l []any, indent int) bool {
	for _, e := range l {
		writeIndent(buf, indent)
		buf.WriteByte('-')
		switch v := e.(type) {
		case map[string]any:
			if len(v) == 0 {
				buf.WriteString(" {}\n")
				continue
			}
			// The item's first key follows the dash; the others line
			// up under it.
			buf.WriteByte(' ')
			if !emitMap(buf, v, indent+2, true) {
				return false
			}
		case []any:
			if len(v) > 0 {
				return false
			}
			buf.WriteString(" []\n")
		default:
			if !emitValue(buf, v, indent+2) {
				return false
			}
		}
	}
	return true
}

// emitValue writes a scalar that follows a key or a dash: a multi-line
// string as a literal block whose lines are indented by indent, anything
// else as emitScalar does.
func emitValue(buf *bytes.Buffer, v any, indent int) bool {
	s, ok := v.(string)
	if !ok || strings.IndexByte(s, '\n') < 0 {
		return emitScalar(buf, v)
	}
	if !blockText(s) {
		return false
	}
	text, clip := strings.CutSuffix(s, "\n")
	if clip {
		buf.WriteString(" |\n")
	} else {
		buf.WriteString(" |-\n")
	}
	for line := range strings.SplitSeq(text, "\n") {
		if line != "" {
			writeIndent(buf, indent)
			buf.WriteString(line)
		}
		buf.WriteByte('\n')
	}
	return true
}

// blockText reports whether yaml.v3 writes the multi-line string s as a
// literal block with no indentation indicator and with clip ("|") or strip
// ("|-") chomping, the form emitValue writes: printable ASCII only, no
// space before a line break or at the end (yaml.v3 quotes those), no
// space or break first (that needs an indicator) and at most one break
// at the end (more keeps them, "|+"). Inline kustomize transformers are
// such strings.
func blockText(s string) bool {
	if s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || strings.HasSuffix(s, "\n\n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			if i > 0 && s[i-1] == ' ' {
				return false
			}
		case c < 0x20 || c > 0x7e:
			return false
		}
	}
	return true
}

// emitScalar writes " value\n".
func emitScalar(buf *bytes.Buffer, v any) bool {
	buf.WriteByte(' ')
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case string:
		s, ok := valueScalar(v)
		if !ok {
			return false
		}
		buf.WriteString(s)
	default:
		return false
	}
	buf.WriteByte('\n')
	return true
}

func writeIndent(buf *bytes.Buffer, n int) {
	for n > len(spaces) {
		buf.WriteString(spaces)
		n -= len(spaces)
	}
	buf.WriteString(spaces[:n])
}

const spaces = "                                                                "

// valueScalars and keyScalars remember how yaml.v3 writes a string as a
// mapping value and as a key. Whether it is left plain or quoted, and how,
// depends only on the string (line folding is off), so each distinct
// string is analysed once per process.
// The caches stop growing at maxCached entries each, so that memory does
// not grow with the number of pipelines: names and labels repeat, and the
// strings unique to one object are cheap enough to analyse every time.
var valueScalars, keyScalars scalarCache

const maxCached = 1 << 16

type scalarCache struct {
	m sync.Map
	n atomic.Int64
}

func (c *scalarCache) load(s string) (string, bool) {
	r, ok := c.m.Load(s)
	if !ok {
		return "", false
	}
	return r.(string), true
}

func (c *scalarCache) store(s, r string) {
	if c.n.Load() < maxCached {
		c.n.Add(1)
		c.m.Store(s, r)
	}
}

// A key longer than this may not be a simple key ("? key" form).
const maxSimpleKey = 100

// plainWord reports whether yaml.v3 certainly writes s as it is, in any
// position: an ASCII letter first (so no number, timestamp or indicator),
// then only letters, digits and "_./-@", and ':' not last (a ':' before a
// space or the end would start a mapping), and not one of the words YAML
// 1.1 reads as a bool or null. Most names, labels and IAM members
// ("serviceAccount:a@b.iam.gserviceaccount.com") are such words, and
// telling so is far cheaper than asking yaml.v3. Without spaces a word is
// never folded onto a second line, however long.
func plainWord(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	letters := true
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
		case c >= '0' && c <= '9', c == '_', c == '.', c == '/', c == '-', c == '@':
			letters = false
		case c == ':' && i < len(s)-1:
			letters = false
		default:
			return false
		}
	}
	return !letters || !yaml11Word(s)
}

// yaml11Word reports whether s, an ASCII word, is one of YAML 1.1's words
// for a bool or null in any case, which a plain scalar must not be. It
// compares without lowering s, which cost an allocation per capitalised
// word.
func yaml11Word(s string) bool {
	if len(s) > 5 {
		return false
	}
	for _, w := range [...]string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"} {
		if len(s) == len(w) && strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// plainPhrase reports whether yaml.v3 certainly writes s as it is as a
// value or a list item (not as a key): plain words joined by single
// spaces, where a word may also hold ",()[]$=" after its first character.
// Descriptions and image references are such phrases; there is one or
// more per object, too many and too varied to remember.
func plainPhrase(s string) bool {
	if s == "" || !isLetter(s[0]) || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isLetter(c), c >= '0' && c <= '9':
		case strings.IndexByte("_./-@,()[]$=", c) >= 0:
		case c == ' ':
			if s[i-1] == ' ' || s[i-1] == ':' {
				return false
			}
		case c == ':':
			if s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	return !yaml11Word(s)
}

// valueScalar and keyScalar report false for invalid UTF-8, which a plain
// phrase or word, being ASCII, never is.
func valueScalar(s string) (string, bool) {
	if plainPhrase(s) {
		return s, true
	}
	if !utf8.ValidString(s) {
		return "", false
	}
	if r, ok := valueScalars.load(s); ok {
		return r, r != ""
	}
	out, err := yaml.Marshal(map[string]string{"k": s})
	r := ""
	if text, ok := strings.CutPrefix(string(out), "k: "); err == nil && ok && strings.Count(text, "\n") == 1 && strings.HasSuffix(text, "\n") {
		r = strings.TrimSuffix(text, "\n")
	}
	valueScalars.store(s, r)
	return r, r != ""
}

func keyScalar(s string) (string, bool) {
	if len(s) > maxSimpleKey {
		return "", false
	}
	if plainWord(s) {
		return s, true
	}
	if !utf8.ValidString(s) {
		return "", false
	}
	if r, ok := keyScalars.load(s); ok {
		return r, r != ""
	}
	out, err := yaml.Marshal(map[string]bool{s: true})
	r := ""
	if text, ok := strings.CutSuffix(string(out), ": true\n"); err == nil && ok && !strings.Contains(text, "\n") && !strings.HasPrefix(text, "?") {
		r = text
	}
	keyScalars.store(s, r)
	return r, r != ""
}

// compareKeys orders keys without digits as yaml.v3 does: letters by code
// point, and anything that is not a letter before any letter.
func compareKeys(a, b string) int {
	// Most keys are ASCII, where a byte is a rune: compare bytes up to
	// the first difference, and decode runes only past a non-ASCII one.
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] && a[i] < utf8.RuneSelf {
		i++
	}
	if i == len(a) || i == len(b) {
		if i == len(a) && i == len(b) {
			return 0
		}
		if i == len(a) {
			return -1
		}
		return 1
	}
	if x, y := a[i], b[i]; x < utf8.RuneSelf && y < utf8.RuneSelf {
		return orderChars(rune(x), rune(y), isLetter(x), isLetter(y))
	}
	return compareRunes(a[i:], b[i:])
}

// orderChars orders two different characters: anything that is not a
// letter before any letter, then by code point.
func orderChars(x, y rune, xLetter, yLetter bool) int {
	switch {
	case xLetter != yLetter && yLetter, xLetter == yLetter && x < y:
		return -1
	}
	return 1
}

func compareRunes(a, b string) int {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		x, y := ar[i], br[i]
		if x != y {
			return orderChars(x, y, unicode.IsLetter(x), unicode.IsLetter(y))
		}
	}
	return len(ar) - len(br)
}
