package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/encoding/openapi"
)

// OpenAPI returns the schema as an OpenAPI 3.0 document in indented JSON,
// with one component schema per definition (Pipeline, Image, ...),
// described by the schema's comments. version goes into info.version.
//
// Like the CUE schema, it describes a pipeline as one environment sees it:
// the base unified with the environment's values.
func OpenAPI(version string) ([]byte, error) {
	_, root, err := documented()
	if err != nil {
		return nil, err
	}
	f, err := openapi.Generate(root, &openapi.Config{
		Info: map[string]string{
			"title":       "pipec pipeline",
			"description": "A pipec pipeline spec, as one environment sees it. Generated from pipec's CUE schema.",
			"version":     version,
		},
	})
	if err != nil {
		return nil, err
	}
	doc := root.Context().BuildFile(f)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := writeJSON(&b, fix(doc, root), ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// object is a JSON object that keeps its keys in the order CUE generated
// them, which reads better than sorted and is just as stable.
type object []member

type member struct {
	key   string
	value any
}

// fix converts the generated document into plain JSON values and corrects
// what CUE's encoder gets wrong for this schema: a list with a minimum
// length ([...#Field] & [_, ...]) comes out as a tuple with a default that
// is not JSON, and every field without `?` is listed as required, even
// one with a default. Only properties a user must set stay required.
func fix(doc, root cue.Value) any {
	var out object
	for it, _ := doc.Fields(); it.Next(); {
		k, v := it.Selector().Unquoted(), it.Value()
		if k != "components" {
			out = append(out, member{k, plain(v, cue.Value{})})
			continue
		}
		var comps object
		for ct, _ := v.Fields(); ct.Next(); {
			ck, cv := ct.Selector().Unquoted(), ct.Value()
			if ck != "schemas" {
				comps = append(comps, member{ck, plain(cv, cue.Value{})})
				continue
			}
			var defs object
			for st, _ := cv.Fields(); st.Next(); {
				name := st.Selector().Unquoted()
				defs = append(defs, member{name, plain(st.Value(), root.LookupPath(cue.MakePath(cue.Def("#"+name))))})
			}
			comps = append(comps, member{ck, defs})
		}
		out = append(out, member{k, comps})
	}
	return out
}

// plain converts an OpenAPI value to JSON values. def is the schema value
// the OpenAPI schema object v was generated from, when known: it decides
// which properties are required.
func plain(v cue.Value, def cue.Value) any {
	switch v.Kind() {
	case cue.StructKind:
	case cue.ListKind:
		var list []any
		for it, _ := v.List(); it.Next(); {
			list = append(list, plain(it.Value(), cue.Value{}))
		}
		return list
	default:
		var x any
		if err := v.Decode(&x); err != nil {
			return fmt.Sprintf("%v", err)
		}
		return x
	}
	var out object
	extra := v.LookupPath(cue.ParsePath("additionalItems"))
	for it, _ := v.Fields(); it.Next(); {
		k, val := it.Selector().Unquoted(), it.Value()
		switch {
		case k == "default" && val.Validate(cue.Concrete(true)) != nil:
			continue // a default that is a type, not a value
		case k == "additionalItems" && val.Kind() == cue.StructKind:
			continue // folded into items below
		case k == "items" && val.Kind() == cue.ListKind && extra.Exists():
			out = append(out, member{k, plain(extra, child(def, cue.AnyIndex))})
		case k == "items":
			out = append(out, member{k, plain(val, child(def, cue.AnyIndex))})
		case k == "additionalProperties":
			out = append(out, member{k, plain(val, child(def, cue.AnyString))})
		case k == "required" && def.Exists():
			var names []string
			_ = val.Decode(&names)
			names = slices.DeleteFunc(names, func(n string) bool { return !mustSet(def.LookupPath(cue.MakePath(cue.Str(n)))) })
			if len(names) > 0 {
				out = append(out, member{k, toAny(names)})
			}
		case k == "properties" && def.Exists():
			var props object
			for pt, _ := val.Fields(); pt.Next(); {
				n := pt.Selector().Unquoted()
				props = append(props, member{n, plain(pt.Value(), property(def, n))})
			}
			out = append(out, member{k, props})
		default:
			out = append(out, member{k, plain(val, cue.Value{})})
		}
	}
	return out
}

func child(def cue.Value, sel cue.Selector) cue.Value {
	if !def.Exists() {
		return def
	}
	return def.LookupPath(cue.MakePath(sel))
}

// property finds a field of def, required or optional.
func property(def cue.Value, name string) cue.Value {
	if v := def.LookupPath(cue.MakePath(cue.Str(name))); v.Exists() {
		return v
	}
	return def.LookupPath(cue.MakePath(cue.Str(name).Optional()))
}

// mustSet reports whether a regular field needs a value from the user: it
// has no default and is not complete without one. Lists, maps and structs
// whose fields all have defaults are complete when left alone.
func mustSet(v cue.Value) bool {
	if !v.Exists() {
		return true
	}
	if x := v.Source(); x != nil && hasDefault(x) {
		return false
	}
	return v.Validate(cue.Concrete(true)) != nil
}

// hasDefault reports whether an expression is a disjunction with a starred
// default. The evaluator reports no default when the default itself is
// incomplete (the registry's interpolates the project), so the source
// decides.
func hasDefault(n ast.Node) bool {
	if f, ok := n.(*ast.Field); ok {
		n = f.Value
	}
	x, ok := n.(ast.Expr)
	if !ok {
		return false
	}
	for _, t := range disjuncts(x) {
		if u, ok := t.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			return true
		}
	}
	return false
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// writeJSON writes v indented by two spaces, without HTML escaping (the
// descriptions hold "<name>" and "&").
func writeJSON(b *bytes.Buffer, v any, indent string) error {
	inner := indent + "  "
	switch v := v.(type) {
	case object:
		if len(v) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i, m := range v {
			b.WriteString(inner)
			writeString(b, m.key)
			b.WriteString(": ")
			if err := writeJSON(b, m.value, inner); err != nil {
				return err
			}
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, x := range v {
			b.WriteString(inner)
			if err := writeJSON(b, x, inner); err != nil {
				return err
			}
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case string:
		writeString(b, v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.WriteString(strings.TrimSuffix(out.String(), "\n"))
}
