package compiler

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"cuelang.org/go/cue"

	"github.com/pipec/pipec/schema"
)

// decodeValid decodes v into the Go value dst points to, as v.Decode(dst)
// does, for a v that passed Validate(cue.Concrete(true), cue.Final()).
//
// cue's Decode iterates each struct's fields in the spec's order, which
// it computes by sorting them topologically: two thirds of decoding a
// pipeline, and a Go struct does not care about order. Here a struct's
// fields are looked up by the JSON names of the Go struct's fields
// instead. Validity is what makes that safe: every field present is
// concrete and without error, so a field the lookup does not find is one
// the spec does not set, and optional fields are skipped by both. Lists
// and maps of structs are walked the same way; every other value (a
// scalar, a list of strings, a map of strings, a type with its own
// UnmarshalJSON) is left to Decode. TestDecodeValidMatchesDecode holds
// the two to the same results. Common leaves are decoded here too
// (decodeLeaf).
func decodeValid(v cue.Value, dst any) error {
	err := decodeInto(v, reflect.ValueOf(dst).Elem())
	if decodeCheck != nil {
		decodeCheck(v, dst, err)
	}
	return err
}

// decodeCheck, set by a test, sees every value decodeValid decodes, with
// what it decoded and its error.
var decodeCheck func(v cue.Value, got any, err error)

func decodeInto(v cue.Value, x reflect.Value) error {
	t := x.Type()
	switch {
	case t.Kind() == reflect.Struct && plainStruct(t):
		v, _ = v.Default()
		if v.Kind() != cue.StructKind {
			break
		}
		for _, f := range structFields(t) {
			fv := v.LookupPath(f.path)
			if !fv.Exists() {
				continue
			}
			if err := decodeInto(fv, x.Field(f.index)); err != nil {
				return err
			}
		}
		return nil

	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && plainStruct(t.Elem()):
		v, _ = v.Default()
		if v.Kind() == cue.NullKind {
			x.SetZero()
			return nil
		}
		if v.Kind() != cue.StructKind {
			break
		}
		p := reflect.New(t.Elem())
		if err := decodeInto(v, p.Elem()); err != nil {
			return err
		}
		x.Set(p)
		return nil

	case t.Kind() == reflect.Slice && hasPlainStruct(t.Elem()):
		v, _ = v.Default()
		if v.Kind() != cue.ListKind {
			break
		}
		list, err := v.List()
		if err != nil {
			break
		}
		s := reflect.MakeSlice(t, 0, 0)
		for list.Next() {
			e := reflect.New(t.Elem()).Elem()
			if err := decodeInto(list.Value(), e); err != nil {
				return err
			}
			s = reflect.Append(s, e)
		}
		x.Set(s)
		return nil

	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && hasPlainStruct(t.Elem()):
		v, _ = v.Default()
		if v.Kind() != cue.StructKind {
			break
		}
		it, err := v.Fields()
		if err != nil {
			break
		}
		m := reflect.MakeMap(t)
		for it.Next() {
			e := reflect.New(t.Elem()).Elem()
			if err := decodeInto(it.Value(), e); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(it.Selector().Unquoted()).Convert(t.Key()), e)
		}
		x.Set(m)
		return nil
	}
	if decodeLeaf(v, x) {
		return nil
	}
	return v.Decode(x.Addr().Interface())
}

// decodeLeaf decodes the commonest leaves, a string, bool or integer, a
// list of strings or a map of strings, as Decode would, and reports
// whether it did. Decode is left the rest, and every error: it asks a new
// evaluation context of cue for each value it decodes, which costs more
// than the decoding, and valid leaves need none.
func decodeLeaf(v cue.Value, x reflect.Value) bool {
	t := x.Type()
	if t == durationType {
		return setDuration(v, x)
	}
	if !plainLeaf(t) {
		return false
	}
	v, _ = v.Default()
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32:
		return setScalar(v, x)
	case reflect.Slice:
		if !plainLeaf(t.Elem()) || t.Elem().Kind() != reflect.String || v.Kind() != cue.ListKind {
			return false
		}
		list, err := v.List()
		if err != nil {
			return false
		}
		var elems []cue.Value
		for list.Next() {
			elems = append(elems, list.Value())
		}
		s := reflect.MakeSlice(t, len(elems), len(elems)) // never nil, as Decode makes it
		for i, e := range elems {
			if !setScalar(e, s.Index(i)) {
				return false
			}
		}
		x.Set(s)
		return true
	case reflect.Map:
		if t.Key().Kind() != reflect.String || !plainLeaf(t.Elem()) || t.Elem().Kind() != reflect.String || v.Kind() != cue.StructKind {
			return false
		}
		it, err := v.Fields()
		if err != nil {
			return false
		}
		m := reflect.MakeMap(t)
		e := reflect.New(t.Elem()).Elem()
		for it.Next() {
			if !setScalar(it.Value(), e) {
				return false
			}
			m.SetMapIndex(reflect.ValueOf(it.Selector().Unquoted()).Convert(t.Key()), e)
		}
		x.Set(m)
		return true
	}
	return false
}

var durationType = reflect.TypeFor[schema.Duration]()

// setDuration sets x, a schema.Duration, as its UnmarshalJSON would from
// v, a string. cue's Decode would first write v out as JSON for it.
func setDuration(v cue.Value, x reflect.Value) bool {
	v, _ = v.Default()
	s, err := v.String()
	if err != nil {
		return false
	}
	d, err := schema.ParseDuration(s)
	if err != nil {
		return false
	}
	x.SetInt(int64(d))
	return true
}

// setScalar sets x, a string, bool or integer, to v's value, and reports
// false if v is not one of those or does not fit.
func setScalar(v cue.Value, x reflect.Value) bool {
	switch x.Kind() {
	case reflect.String:
		s, err := v.String()
		if err != nil {
			return false
		}
		x.SetString(s)
	case reflect.Bool:
		b, err := v.Bool()
		if err != nil {
			return false
		}
		x.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := v.Int64()
		if err != nil || x.OverflowInt(n) {
			return false
		}
		x.SetInt(n)
	default:
		return false
	}
	return true
}

// plainLeaf reports whether Decode sets t from a value as it is: t does
// not decode itself.
func plainLeaf(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return !p.Implements(jsonUnmarshaler) && !p.Implements(textUnmarshaler)
}

// structField is a Go struct field that CUE values decode into.
type structField struct {
	index int
	path  cue.Path
}

var fieldCache sync.Map // reflect.Type -> []structField

// structFields lists t's fields as cue's Decode matches them: by the
// name in their json tag, or their Go name; "-" and unexported fields are
// left out.
func structFields(t reflect.Type) []structField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]structField)
	}
	var fs []structField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fs = append(fs, structField{index: i, path: cue.MakePath(cue.Str(name))})
	}
	fieldCache.Store(t, fs)
	return fs
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// plainStruct reports whether Decode fills t field by field: a struct
// without embedded fields that does not decode itself.
func plainStruct(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	if p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
		return false
	}
	for i := range t.NumField() {
		if t.Field(i).Anonymous {
			return false
		}
	}
	return true
}

// hasPlainStruct reports whether t is a plain struct or a pointer to one.
func hasPlainStruct(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && plainStruct(t)
}
