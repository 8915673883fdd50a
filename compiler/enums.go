package compiler

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/ast/astutil"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/pipec/pipec/schema"
)

// The schema spells its enumerations of strings as disjunctions, which is
// what `pipec schema`, the OpenAPI document and editors show. CUE
// evaluates a disjunction by trying each alternative on a copy of the
// value: a column's type, one of eighteen, cost more than the rest of its
// table, and the schema's three longest enumerations a tenth of a build's
// evaluation. So the schema pipec evaluates has each enumeration of three
// or more strings as one pattern instead (a default stays a default), and
// the pattern's error is reported as the disjunction's was: the value, and
// the strings allowed.

// minEnum is the smallest enumeration worth a pattern.
const minEnum = 3

// enumPattern is what an enumeration of strings becomes.
type enumPattern struct {
	pattern string   // the regular expression, as CUE prints it in errors
	allowed []string // the strings, sorted
}

var (
	enumsOnce sync.Once
	// enumsByPattern lists the allowed strings by pattern, quoted, for
	// messages.
	enumsByPattern map[string]string
)

// evalSchemaFile parses the embedded schema with its enumerations of
// strings rewritten as patterns. Each cue.Context gets its own syntax tree,
// since compiling one records scopes in it.
func evalSchemaFile() (*ast.File, error) {
	f, err := parser.ParseFile(schema.Filename, schema.Source)
	if err != nil {
		return nil, err
	}
	enums := map[string]string{}
	astutil.Apply(f, func(c astutil.Cursor) bool {
		e, ok := c.Node().(*ast.BinaryExpr)
		if !ok || e.Op != token.OR {
			return true
		}
		if p, def, ok := enumOf(e); ok {
			c.Replace(patternExpr(e, p, def))
			quoted := make([]string, len(p.allowed))
			for i, s := range p.allowed {
				quoted[i] = strconv.Quote(s)
			}
			enums[p.pattern] = strings.Join(quoted, ", ")
			return false
		}
		return true
	}, nil)
	enumsOnce.Do(func() { enumsByPattern = enums })
	return f, nil
}

// enumOf reads a disjunction of string literals, one of which may be
// marked default.
func enumOf(e *ast.BinaryExpr) (p enumPattern, def *ast.BasicLit, ok bool) {
	var terms []ast.Expr
	var collect func(x ast.Expr)
	collect = func(x ast.Expr) {
		if b, isOr := x.(*ast.BinaryExpr); isOr && b.Op == token.OR {
			collect(b.X)
			collect(b.Y)
			return
		}
		terms = append(terms, x)
	}
	collect(e)
	seen := map[string]bool{}
	for _, t := range terms {
		if u, isDefault := t.(*ast.UnaryExpr); isDefault && u.Op == token.MUL && def == nil {
			if lit, isLit := u.X.(*ast.BasicLit); isLit && lit.Kind == token.STRING {
				def, t = lit, lit
			}
		}
		lit, isLit := t.(*ast.BasicLit)
		if !isLit || lit.Kind != token.STRING {
			return enumPattern{}, nil, false
		}
		s, err := literal.Unquote(lit.Value)
		if err != nil {
			return enumPattern{}, nil, false
		}
		if !seen[s] {
			seen[s] = true
			p.allowed = append(p.allowed, s)
		}
	}
	if len(p.allowed) < minEnum {
		return enumPattern{}, nil, false
	}
	slices.Sort(p.allowed)
	quoted := make([]string, len(p.allowed))
	for i, s := range p.allowed {
		quoted[i] = regexp.QuoteMeta(s)
	}
	p.pattern = "^(" + strings.Join(quoted, "|") + ")$"
	return p, def, true
}

// patternExpr is `=~"<pattern>"`, or `*<def> | =~"<pattern>"`, written
// where e was.
func patternExpr(e *ast.BinaryExpr, p enumPattern, def *ast.BasicLit) ast.Expr {
	match := &ast.UnaryExpr{Op: token.MAT, OpPos: e.Pos(), X: &ast.BasicLit{Kind: token.STRING, ValuePos: e.Pos(), Value: literal.String.Quote(p.pattern)}}
	if def == nil {
		return match
	}
	return &ast.BinaryExpr{Op: token.OR, OpPos: e.Pos(), X: &ast.UnaryExpr{Op: token.MUL, OpPos: def.Pos(), X: def}, Y: match}
}

// enumOutOfBound matches the error of a value outside an enumeration's
// pattern: a string that does not match, or a value of another type.
var enumOutOfBound = regexp.MustCompile(`^(?:invalid value (.+) \(out of bound =~"(.*)"\)|conflicting values (.+) and =~"(.*)" \(mismatched types \w+ and string\))$`)

// enumError rewrites the error of a value outside an enumeration's
// pattern as the disjunction's would read, and reports whether it was one.
func enumError(msg string) (string, bool) {
	m := enumOutOfBound.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	value, pattern := m[1]+m[3], m[2]+m[4]
	pattern, err := literal.Unquote(`"` + pattern + `"`)
	if err != nil {
		return "", false
	}
	allowed, ok := enumsByPattern[pattern]
	if !ok {
		return "", false
	}
	return value + " is not allowed; use one of " + allowed, true
}
