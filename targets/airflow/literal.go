package airflow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pyString is the one way a string from the spec reaches a DAG file: a
// double-quoted Python literal whose value is exactly s.
//
// The output is printable ASCII only: quotes and backslashes are escaped,
// and every control or non-ASCII character is written as an escape, so no
// value can end the literal, start a new line or statement, or smuggle
// invisible text (bidi overrides, line separators) into the source. Jinja
// templates such as "{{ ds }}" pass through unchanged, for Airflow to render.
// A byte that is not UTF-8, which a spec cannot hold, is written as Python's
// surrogate escape (\udcXX), so even then the literal round-trips
// (str.encode("utf-8", "surrogateescape") gives the bytes back).
func pyString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyStrings is a list of string literals on one line.
func pyStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = pyString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// pyStringDict is a dict of string literals on one line, in key order so
// the output does not depend on map iteration.
func pyStringDict(m map[string]string) string {
	var items []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		items = append(items, pyString(k)+": "+pyString(m[k]))
	}
	return "{" + strings.Join(items, ", ") + "}"
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

func pyInt(n int64) string { return strconv.FormatInt(n, 10) }

// pyFloat writes a float that Python reads as a float, never as an int.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
