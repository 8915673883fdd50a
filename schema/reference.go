package schema

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// Reference returns the reference documentation of the schema in Markdown:
// a section per definition and, for every field, its type, whether it must
// be set or what it defaults to, what it is and an example. Types and
// defaults come from the CUE itself, the rest from its comments, so the
// document cannot say something the schema does not.
func Reference() ([]byte, error) {
	entries, _, err := documented()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(referenceIntro)
	for _, e := range entries {
		if e.isDef {
			fmt.Fprintf(&b, "- [`%s`](#%s)\n", e.name, anchor(e.name))
		}
	}
	for _, e := range entries {
		if e.isDef {
			fmt.Fprintf(&b, "\n## `%s`\n\n", e.name)
		} else {
			fmt.Fprintf(&b, "\n### `%s`\n\n", e.name)
		}
		if line := e.typeLine(); line != "" {
			fmt.Fprintf(&b, "%s\n\n", line)
		}
		if e.doc != "" {
			fmt.Fprintf(&b, "%s\n", escapeHTML(e.doc))
		}
		if len(e.examples) > 0 {
			fmt.Fprintf(&b, "\n```cue\n%s\n```\n", strings.Join(e.examples, "\n"))
		}
	}
	return b.Bytes(), nil
}

const referenceIntro = `<!-- Generated from schema/pipeline.cue by ` + "`go test ./schema -run Reference -update`" + `. DO NOT EDIT. -->
# pipec spec reference

A pipeline spec is a CUE package that pipec unifies with ` + "`#Pipeline`" + `, once per
environment: the base, then the environment's values from ` + "`environments`" + `.
Every field below is described as one environment sees it:

- **required**: every environment must end up with a value, set in the base
  or under ` + "`environments.<env>`" + `;
- **default**: what pipec uses when nothing sets the field. To let an
  environment change a base value, write the base value as a default too:
  ` + "`replicas: *1 | int`" + `;
- **optional**: the field may stay unset; its text says what that means.

Types are written in CUE: ` + "`[...string]`" + ` is a list of strings,
` + "`{[string]: #Image}`" + ` a map from names to images, ` + "`int & >0`" + ` a positive
integer. Beyond what CUE can say, ` + "`pipec vet`" + ` checks the names, ranges and
references each field's text gives.

` + "`pipec schema`" + ` prints the schema itself, ` + "`pipec schema --format openapi`" + ` the same
as an OpenAPI 3 document, and ` + "`pipec schema --vendor DIR`" + ` writes it into a CUE
module so that ` + "`cue vet`" + ` and editors check specs too (` + "`pipec init`" + ` does this for
new pipelines).

`

// entry is a documented definition or field of the schema.
type entry struct {
	name     string // as headed in the reference: "#Subscription.retry.minBackoff"
	isDef    bool
	path     cue.Path // of the value in the compiled schema
	scope    cue.Path // of the struct the examples are written in
	optional bool
	expr     ast.Expr
	doc      string
	examples []string
	value    cue.Value // the compiled value at path
}

// documented lists the schema's definitions and their fields, in source
// order, with the compiled schema they were looked up in.
func documented() ([]entry, cue.Value, error) {
	f, err := parser.ParseFile(Filename, Source, parser.ParseComments)
	if err != nil {
		return nil, cue.Value{}, err
	}
	root := cuecontext.New().BuildFile(f)
	if err := root.Err(); err != nil {
		return nil, cue.Value{}, err
	}
	var entries []entry
	for _, d := range f.Decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, _ := ast.LabelName(field.Label)
		if !strings.HasPrefix(name, "#") {
			continue
		}
		path := cue.MakePath(cue.Def(name))
		def := entry{name: name, isDef: true, path: path, scope: path, expr: field.Value}
		def.doc, def.examples = docOf(field)
		entries = append(entries, def)
		if s, ok := field.Value.(*ast.StructLit); ok {
			entries = append(entries, fieldsOf(name, path, s)...)
		}
	}
	for i := range entries {
		entries[i].value = root.LookupPath(entries[i].path)
		if !entries[i].value.Exists() {
			return nil, cue.Value{}, fmt.Errorf("%s: not found in the compiled schema", entries[i].name)
		}
	}
	return entries, root, nil
}

// fieldsOf lists the regular fields of a struct and, depth first, those of
// the structs written inline in it (a subscription's retry, bigquery, ...).
func fieldsOf(prefix string, parent cue.Path, s *ast.StructLit) []entry {
	var out []entry
	for _, elt := range s.Elts {
		field, ok := elt.(*ast.Field)
		if !ok {
			continue
		}
		name, isIdent, err := ast.LabelName(field.Label)
		if err != nil || !isIdent {
			continue // a pattern constraint, [string]: T, documented by its parent
		}
		sel := cue.Str(name)
		optional := field.Constraint == token.OPTION
		if optional {
			sel = sel.Optional()
		}
		path := cue.MakePath(append(slices.Clone(parent.Selectors()), sel)...)
		e := entry{name: prefix + "." + name, path: path, scope: parent, optional: optional, expr: field.Value}
		e.doc, e.examples = docOf(field)
		out = append(out, e)
		if inner, ok := field.Value.(*ast.StructLit); ok && hasRegularFields(inner) {
			out = append(out, fieldsOf(e.name, path, inner)...)
		}
	}
	return out
}

func hasRegularFields(s *ast.StructLit) bool {
	for _, elt := range s.Elts {
		if f, ok := elt.(*ast.Field); ok {
			if _, isIdent, err := ast.LabelName(f.Label); err == nil && isIdent {
				return true
			}
		}
	}
	return false
}

// docOf splits a field's doc comment into its text and its examples, the
// lines that start with "Example:".
func docOf(n ast.Node) (doc string, examples []string) {
	var lines []string
	for _, g := range ast.Comments(n) {
		if g.Position != 0 {
			continue // a comment after the field, not about it
		}
		for _, c := range g.List {
			line := strings.TrimPrefix(strings.TrimPrefix(c.Text, "//"), " ")
			if ex, ok := strings.CutPrefix(line, "Example:"); ok {
				examples = append(examples, strings.TrimSpace(ex))
				continue
			}
			lines = append(lines, line)
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n")), examples
}

// typeLine says what type an entry has and whether it must be set or what
// it defaults to. A struct definition's type is its fields, listed below it.
func (e entry) typeLine() string {
	if s, ok := e.expr.(*ast.StructLit); ok && e.isDef && hasRegularFields(s) {
		return ""
	}
	typ, def := typeOf(e.expr)
	line := "**Type** `" + typ + "`"
	if refs := definitionRefs(typ, e.name); len(refs) == 1 && refs[0] == "[`"+typ+"`](#"+anchor(typ)+")" {
		line = "**Type** " + refs[0]
	} else if len(refs) > 0 {
		line += " (" + strings.Join(refs, ", ") + ")"
	}
	if e.isDef {
		return line
	}
	switch {
	case e.optional:
		line += " · optional"
	case def != "":
		line += " · default `" + def + "`"
	case e.value.Validate(cue.Concrete(true)) != nil:
		line += " · **required**"
	case e.value.IncompleteKind() == cue.ListKind:
		line += " · default `[]`"
	case isStruct(e.expr) && !hasRegularFields(e.expr.(*ast.StructLit)):
		line += " · default `{}`"
	default:
		line += " · optional: its fields have defaults"
	}
	return line
}

func isStruct(x ast.Expr) bool {
	_, ok := x.(*ast.StructLit)
	return ok
}

// typeOf renders a field's value as a type and a default. The default is
// the starred term of a disjunction; it stays among the alternatives of an
// enumeration ("DAY" | "HOUR") and is dropped from a type it merely
// narrows (string | *"latest" is a string).
func typeOf(x ast.Expr) (typ, def string) {
	if s, ok := x.(*ast.StructLit); ok {
		if hasRegularFields(s) {
			return "struct", ""
		}
		for _, elt := range s.Elts {
			if f, ok := elt.(*ast.Field); ok {
				if l, ok := f.Label.(*ast.ListLit); ok && len(l.Elts) == 1 {
					return "{[" + node(l.Elts[0]) + "]: " + node(f.Value) + "}", ""
				}
			}
		}
		return node(x), ""
	}
	terms := disjuncts(x)
	var types []string
	enum := true
	seen := map[string]bool{}
	for _, t := range terms {
		if u, ok := t.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			def = node(u.X)
			continue
		}
		if _, lit := t.(*ast.BasicLit); !lit {
			enum = false
		}
	}
	for _, t := range terms {
		if u, ok := t.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			if !enum {
				continue
			}
			t = u.X
		}
		if s := node(t); !seen[s] {
			seen[s] = true
			types = append(types, s)
		}
	}
	return strings.Join(types, " | "), def
}

func disjuncts(x ast.Expr) []ast.Expr {
	if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.OR {
		return append(disjuncts(b.X), disjuncts(b.Y)...)
	}
	return []ast.Expr{x}
}

// node formats an expression on one line.
func node(n ast.Node) string {
	b, err := format.Node(n)
	if err != nil {
		return fmt.Sprintf("%v", err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

var definitionRef = regexp.MustCompile(`#[A-Z][A-Za-z]*`)

// definitionRefs links the definitions a type names, except the one being
// described.
func definitionRefs(typ, self string) []string {
	var refs []string
	seen := map[string]bool{self: true}
	for _, d := range definitionRef.FindAllString(typ, -1) {
		if !seen[d] {
			seen[d] = true
			refs = append(refs, "[`"+d+"`](#"+anchor(d)+")")
		}
	}
	return refs
}

// escapeHTML keeps the angle brackets of prose such as "deploy/<name>" from
// reading as HTML tags; inside code spans they are literal already.
func escapeHTML(text string) string {
	parts := strings.Split(text, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(parts[i])
	}
	return strings.Join(parts, "`")
}

// anchor is the id GitHub gives a heading that reads `name`.
func anchor(name string) string {
	return strings.ToLower(strings.NewReplacer("#", "", ".", "", "`", "").Replace(name))
}
