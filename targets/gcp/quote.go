package gcp

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// errNUL is the one value a shell word cannot carry: the kernel passes
// arguments as NUL-terminated strings.
var errNUL = errors.New("holds a NUL character, which no shell argument can carry")

// shellQuote writes s as one single-quoted bash word. Inside single quotes
// every byte is literal except the quote itself, which is written as '\”
// (close, escaped quote, reopen); nothing is expanded, so a value cannot
// run code whatever it holds. Every value apply.sh passes goes through
// here, so it is the only quoting there is to get right.
func shellQuote(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", errNUL
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

// gcloudJSON encodes v as gcloud's --format=json prints a resource
// (Python's json.dumps with indent=2, sort_keys and ensure_ascii=False),
// so that apply.sh can compare a resource as described with the state the
// spec wants, byte for byte. v holds maps, strings, ints and bools only.
func gcloudJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v, "")
	return b.String()
}

func writeJSON(b *strings.Builder, v any, indent string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{")
		inner := indent + "  "
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n" + inner)
			writeString(b, k)
			b.WriteString(": ")
			writeJSON(b, v[k], inner)
		}
		b.WriteString("\n" + indent + "}")
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		writeJSON(b, m, indent)
	case string:
		writeString(b, v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	default:
		panic(fmt.Sprintf("gcloudJSON: %T", v))
	}
}

// writeString escapes as Python's JSON encoder does with ensure_ascii off:
// quotes, backslashes and control characters only, short forms where
// Python has them, and lowercase hex otherwise.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
