// Package manifest encodes Kubernetes-style objects as YAML the same way
// every time, so that regenerating an unchanged spec changes no byte and a
// reviewer's diff shows only what the spec changed. Every target that emits
// YAML goes through it.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
)

// Normalize turns v (a typed Kubernetes struct, a map, anything with JSON
// tags) into the plain data that Marshal writes: maps, slices, strings,
// bools, int64, float64 and nil. Going through JSON is what makes the
// Kubernetes types' json tags and omitempty apply. Integers stay int64
// (never float64), so a large runAsUser is not written as 1e+06.
//
// Two things encoding/json produces for Kubernetes types are dropped, since
// neither belongs in a manifest: "creationTimestamp: null" (metav1.Time is
// a struct, so omitempty cannot omit it) and the top-level "status", which
// controllers own.
func Normalize(v any) (map[string]any, error) {
	out, _, err := NormalizeJSON(v)
	return out, err
}

// NormalizeJSON is Normalize, and also returns the JSON the data was read
// from. Equal JSON makes equal data, and costs less to compare.
func NormalizeJSON(v any) (map[string]any, []byte, error) {
	out, b, err := toJSON(v)
	if err != nil {
		return nil, nil, err
	}
	delete(out, "status")
	dropNullTimestamps(out)
	return out, b, nil
}

// toJSON turns v into the JSON data that encodes the same way, and returns
// that encoding.
func toJSON(v any) (map[string]any, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	if out, ok := decodeObject(b); ok {
		return out, b, nil
	}
	var out map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(b, &out); err != nil {
		return nil, nil, err
	}
	if out == nil {
		return nil, nil, fmt.Errorf("manifest: %T does not encode as a JSON object", v)
	}
	return out, b, nil
}

func dropNullTimestamps(v any) {
	switch v := v.(type) {
	case map[string]any:
		if ts, ok := v["creationTimestamp"]; ok && ts == nil {
			delete(v, "creationTimestamp")
		}
		for _, e := range v {
			dropNullTimestamps(e)
		}
	case []any:
		for _, e := range v {
			dropNullTimestamps(e)
		}
	}
}

// Marshal encodes v as one YAML document: Normalize, then keys sorted,
// two-space indentation with list items at their parent's indentation (as
// kubectl writes them), LF line endings and a final newline. A string that
// a YAML 1.1 or 1.2 reader would take for a bool, number, null or timestamp
// ("no", "on", "1.0", "0777", "~", "2024-01-01") is double-quoted, so tools
// built on either YAML version read back the same string.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := marshalTo(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalTo appends Marshal's encoding of v to buf.
func marshalTo(buf *bytes.Buffer, v any) error {
	start := buf.Len()
	m, isMap := v.(map[string]any)
	// Most documents reach Marshal normalized (targets normalize once to
	// compare and patch them). emit refuses anything Normalize would
	// change, so trying it first spares a walk of the data to check.
	if isMap && emit(buf, m) {
		return nil
	}
	buf.Truncate(start)
	if !isMap || !normalized(m, true) {
		var ok bool
		if m, ok = plainMap(v); !ok {
			if path, ok := invalidUTF8(reflect.ValueOf(v), ""); ok {
				// JSON, on the way to YAML, would quietly turn the bytes into
				// U+FFFD: refuse instead of writing something else than was asked.
				return fmt.Errorf("%s: not valid UTF-8, which YAML cannot carry", path)
			}
			var err error
			if m, err = Normalize(v); err != nil {
				return err
			}
		}
		if emit(buf, m) {
			return nil
		}
		buf.Truncate(start)
	}
	// emit refused normalized data: a shape it leaves to yaml.v3.
	doc, err := quoteTabbedBlocks(m, "")
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

// normalized reports whether v is already what Normalize would return for
// it, with valid UTF-8 throughout. Most objects reach Marshal in that
// form (targets normalize once to compare and patch them), and going
// through JSON again is most of what encoding them costs.
func normalized(v any, top bool) bool {
	switch v := v.(type) {
	case nil, bool, int64:
		return true
	case string:
		return utf8.ValidString(v)
	case []any:
		for _, e := range v {
			if !normalized(e, false) {
				return false
			}
		}
		return true
	case map[string]any:
		if top {
			if _, ok := v["status"]; ok {
				return false
			}
		}
		for k, e := range v {
			if !utf8.ValidString(k) || (k == "creationTimestamp" && e == nil) || !normalized(e, false) {
				return false
			}
		}
		return true
	}
	// float64 too: JSON would turn an integral one into int64.
	return false
}

// plainMap is Normalize for data built of maps, slices, strings, bools and
// integers, without the JSON round trip, which most of the cost of
// encoding such data. It reports false for anything else (a struct, a
// float, invalid UTF-8), which takes the round trip.
func plainMap(v any) (map[string]any, bool) {
	p, ok := plain(v)
	m, isMap := p.(map[string]any)
	if !ok || !isMap || m == nil {
		return nil, false
	}
	delete(m, "status")
	dropNullTimestamps(m)
	return m, true
}

// plain converts v as a JSON round trip would: integers become int64, nil
// slices and maps null.
func plain(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool, int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case string:
		return v, utf8.ValidString(v)
	case []string:
		if v == nil {
			return nil, true
		}
		out := make([]any, len(v))
		for i, e := range v {
			if !utf8.ValidString(e) {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case []any:
		if v == nil {
			return nil, true
		}
		out := make([]any, len(v))
		for i, e := range v {
			var ok bool
			if out[i], ok = plain(e); !ok {
				return nil, false
			}
		}
		return out, true
	case map[string]string:
		if v == nil {
			return nil, true
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, false
			}
			out[k] = e
		}
		return out, true
	case map[string]any:
		if v == nil {
			return nil, true
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			p, ok := plain(e)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			out[k] = p
		}
		return out, true
	}
	return nil, false
}

// File is Marshal with a header (the generated-file comment) in front.
func File(header string, v any) ([]byte, error) {
	buf := scratch.Get().(*bytes.Buffer)
	defer putScratch(buf)
	buf.WriteString(header)
	if err := marshalTo(buf, v); err != nil {
		return nil, err
	}
	// The file is kept until it is written and cached: a copy of exactly
	// its size holds a third of what a buffer grown for it would.
	return bytes.Clone(buf.Bytes()), nil
}

// scratch holds the buffers File encodes into.
var scratch = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putScratch returns a buffer to scratch, unless one large file grew it
// far beyond what the others need.
func putScratch(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	scratch.Put(buf)
}

// invalidUTF8 finds a string, map key or struct field value in v that is not
// valid UTF-8, and returns where it is.
func invalidUTF8(v reflect.Value, at string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return at, !utf8.ValidString(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return invalidUTF8(v.Elem(), at)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // []byte is encoded as base64
		}
		for i := range v.Len() {
			if p, bad := invalidUTF8(v.Index(i), fmt.Sprintf("%s[%d]", at, i)); bad {
				return p, true
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if p, bad := invalidUTF8(iter.Key(), at+"."+k); bad {
				return p, true
			}
			if p, bad := invalidUTF8(iter.Value(), at+"."+k); bad {
				return p, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if p, bad := invalidUTF8(v.Field(i), at+"."+v.Type().Field(i).Name); bad {
					return p, true
				}
			}
		}
	}
	return "", false
}

// quoteTabbedBlocks returns v with every string that starts with a tab and
// spans lines made a double-quoted scalar. yaml.v3 writes such a string
// as a literal block whose first line starts with the tab, which YAML
// readers (yaml.v3 included) take for bad indentation and refuse. A key
// cannot be given a style in a map, so such a key is refused instead; no
// Kubernetes or Google Cloud field name looks like that.
func quoteTabbedBlocks(v any, at string) (any, error) {
	switch v := v.(type) {
	case string:
		if tabbedBlock(v) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: v}, nil
		}
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = quoteTabbedBlocks(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if tabbedBlock(k) {
				return nil, fmt.Errorf("%s: key %q starts with a tab and spans lines, which YAML cannot carry as a key", at, k)
			}
			var err error
			if out[k], err = quoteTabbedBlocks(e, at+"."+k); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

func tabbedBlock(s string) bool {
	return strings.HasPrefix(s, "\t") && strings.Contains(s, "\n")
}
