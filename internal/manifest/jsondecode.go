package manifest

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeObject reads a JSON object into the data
// sigsjson.UnmarshalCaseSensitivePreserveInts would make of it (maps,
// slices, strings, bools, nil; a number as int64 when it has no '.' and
// fits, float64 otherwise) at a fraction of its cost: Normalize reads back
// what json.Marshal just wrote, for every object of every build, and the
// general decoder's reflection was most of Normalize's time. It reports
// false for anything it does not take, including bad JSON, and the caller
// then asks the general decoder, which also says what is wrong.
func decodeObject(data []byte) (map[string]any, bool) {
	d := jsonDecoder{data: data, text: string(data)}
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, false
	}
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// maxJSONDepth is encoding/json's nesting limit; past it, its error.
const maxJSONDepth = 10000

type jsonDecoder struct {
	data []byte
	// text is data as one string: strings without escapes are slices of
	// it, which saves an allocation for each key and value.
	text string
	pos  int
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, bool) {
	d.space()
	if d.pos >= len(d.data) || depth > maxJSONDepth {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		if s, ok := d.string(); ok {
			return s, true
		}
		return nil, false
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	for _, lit := range literals {
		if bytes.HasPrefix(d.data[d.pos:], lit.word) {
			d.pos += len(lit.word)
			return lit.value, true
		}
	}
	return nil, false
}

var literals = []struct {
	word  []byte
	value any
}{{[]byte("true"), true}, {[]byte("false"), false}, {[]byte("null"), nil}}

func (d *jsonDecoder) object(depth int) (any, bool) {
	d.pos++ // {
	m := map[string]any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, true
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v // the last of duplicate keys wins, as in encoding/json
		if more, ok := d.separator('}'); !ok || !more {
			return m, ok
		}
	}
}

// separator reads what follows a member of an object or array: a comma
// (more follow) or the closing bracket.
func (d *jsonDecoder) separator(closing byte) (more, ok bool) {
	d.space()
	if d.pos >= len(d.data) {
		return false, false
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return true, true
	case closing:
		d.pos++
		return false, true
	}
	return false, false
}

func (d *jsonDecoder) array(depth int) (any, bool) {
	d.pos++ // [
	l := []any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return l, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		l = append(l, v)
		if more, ok := d.separator(']'); !ok || !more {
			return l, ok
		}
	}
}

// number reads a number as the JSON grammar has it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number() (any, bool) {
	start := d.pos
	digits := func() bool {
		from := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
		return d.pos > from
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if !digits() {
		return nil, false
	}
	integral := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		integral = false
		if !digits() {
			return nil, false
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !digits() {
			return nil, false
		}
	}
	s := d.text[start:d.pos]
	if integral {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// string reads a quoted string. Escapes and invalid UTF-8 take the slow
// path, which turns bad bytes and lone surrogates into U+FFFD as
// encoding/json does.
func (d *jsonDecoder) string() (string, bool) {
	d.pos++ // "
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.text[start:d.pos]
			d.pos++
			return s, true
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowString(start)
		case c < ' ':
			return "", false
		}
		d.pos++
	}
	return "", false
}

func (d *jsonDecoder) slowString(start int) (string, bool) {
	out := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(out), true
		case c < ' ':
			return "", false
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return "", false
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(d.data[d.pos:])
				if !ok {
					return "", false
				}
				d.pos += 4
				if utf16.IsSurrogate(r) {
					// A high surrogate and an escaped low one make one
					// rune; anything else is U+FFFD, as in encoding/json.
					pair := unicode.ReplacementChar
					if rest := d.data[d.pos:]; len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
						if lo, ok := hex4(rest[2:]); ok {
							if pair = utf16.DecodeRune(r, lo); pair != unicode.ReplacementChar {
								d.pos += 6
							}
						}
					}
					r = pair
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			d.pos += size
			out = utf8.AppendRune(out, r) // utf8.RuneError for a bad byte
		}
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
