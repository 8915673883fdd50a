package compiler

import (
	"slices"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// A spec's defaults win over the schema's.
//
// CUE unifies two defaults into one, and when they differ, into none: a
// spec's `replicas: *2 | int` and the schema's `int & >=0 | *1` leave
// replicas with no value, so every environment that does not set it
// failed, although writing the base value as a default is exactly how
// pipec tells users to let environments change it. So before the schema
// applies, each value the spec writes as a default and its environment
// leaves open is fixed to the spec's default.

// defaultPaths lists where a spec's files write a default (`*v | ...`):
// the paths of fields reached from the top through constant labels or
// pattern constraints, those under environments.<env> included without
// that prefix, since that is where they land once the environment is
// unified with the base. A pattern constraint (`services: [string]:
// replicas: *2 | int`) is listed as cue.AnyString, which commitDefaults
// reads as every key of that map. Defaults under comprehensions or
// computed labels are not listed and keep CUE's own rule.
func defaultPaths(files []*ast.File) []cue.Path {
	var paths []cue.Path
	seen := map[string]bool{}
	var walk func(decls []ast.Decl, at []cue.Selector)
	walk = func(decls []ast.Decl, at []cue.Selector) {
		for _, d := range decls {
			var sel cue.Selector
			f, name, ok := plainField(d)
			switch {
			case ok:
				if _, isIdent := f.Label.(*ast.Ident); isIdent && (name[0] == '#' || name[0] == '_') {
					continue // definitions and hidden fields are not the spec's values
				}
				sel = cue.Str(name)
			default:
				if f, ok = patternField(d); !ok {
					continue
				}
				sel = cue.AnyString
			}
			path := append(slices.Clone(at), sel)
			if len(at) == 1 && at[0].String() == "environments" {
				path = nil // an environment's fields land at the top
			}
			value := f.Value
			for {
				p, ok := value.(*ast.ParenExpr)
				if !ok {
					break
				}
				value = p.X
			}
			switch v := value.(type) {
			case *ast.StructLit:
				walk(v.Elts, path)
			case *ast.BinaryExpr:
				if path != nil && v.Op == token.OR && hasDefault(v) {
					p := cue.MakePath(path...)
					if !seen[p.String()] {
						seen[p.String()] = true
						paths = append(paths, p)
					}
				}
			}
		}
	}
	for _, f := range files {
		if f != nil {
			walk(f.Decls, nil)
		}
	}
	return paths
}

// patternField returns d if it is a field whose label is a single pattern
// constraint (`[string]: ...`, `[=~"^api"]: ...`), without alias.
func patternField(d ast.Decl) (*ast.Field, bool) {
	f, ok := d.(*ast.Field)
	if !ok || f.Alias != nil || f.Constraint != token.ILLEGAL {
		return nil, false
	}
	l, ok := f.Label.(*ast.ListLit)
	return f, ok && len(l.Elts) == 1
}

// anyKey reports whether sel stands for every key of a map (see
// defaultPaths).
func anyKey(sel cue.Selector) bool {
	return sel.ConstraintType() == cue.PatternConstraint
}

// expand returns the paths p stands for in v: p itself, or, where it holds
// cue.AnyString, one path per key of the map there.
func expand(v cue.Value, p cue.Path) []cue.Path {
	sels := p.Selectors()
	i := slices.IndexFunc(sels, anyKey)
	if i < 0 {
		return []cue.Path{p}
	}
	iter, err := v.LookupPath(cue.MakePath(sels[:i]...)).Fields()
	if err != nil {
		return nil
	}
	var out []cue.Path
	for iter.Next() {
		key := append(append(slices.Clone(sels[:i]), iter.Selector()), sels[i+1:]...)
		out = append(out, expand(v, cue.MakePath(key...))...)
	}
	return out
}

// hasDefault reports whether a disjunction marks one of its terms with *.
func hasDefault(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BinaryExpr:
		return e.Op == token.OR && (hasDefault(e.X) || hasDefault(e.Y))
	case *ast.UnaryExpr:
		return e.Op == token.MUL
	case *ast.ParenExpr:
		return hasDefault(e.X)
	}
	return false
}

// commitDefaults fixes each value at paths that is still open in v but has
// a default to that default. The defaults are all read from v as it is,
// then filled in together.
func commitDefaults(v cue.Value, paths []cue.Path) cue.Value {
	type fill struct {
		path cue.Path
		to   cue.Value
	}
	var fills []fill
	filled := map[string]bool{}
	for _, pattern := range paths {
		for _, p := range expand(v, pattern) {
			f := v.LookupPath(p)
			if filled[p.String()] || !f.Exists() || f.IsConcrete() {
				continue
			}
			if d, ok := f.Default(); ok && d.IsConcrete() {
				filled[p.String()] = true
				fills = append(fills, fill{p, d})
			}
		}
	}
	switch len(fills) {
	case 0:
		return v
	case 1:
		return v.FillPath(fills[0].path, fills[0].to)
	}
	// Filling evaluates what it fills: gather the defaults in a value of
	// their own, small to evaluate, and unify v with it once.
	all := v.Context().CompileString("{}")
	for _, f := range fills {
		all = all.FillPath(f.path, f.to)
	}
	return v.Unify(all)
}

// under returns the paths inside entry key of map m, relative to it:
// those written for that entry, and those written for every entry.
func under(paths []cue.Path, m, key string) []cue.Path {
	var out []cue.Path
	for _, p := range paths {
		if sels := p.Selectors(); len(sels) > 2 && sels[0].String() == m && (anyKey(sels[1]) || sels[1].Unquoted() == key) {
			out = append(out, cue.MakePath(sels[2:]...))
		}
	}
	return out
}
