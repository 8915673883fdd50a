package compiler

import (
	"fmt"
	"os"
	"path/filepath"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/encoding/json"
	"cuelang.org/go/encoding/yaml"
	yamlv3 "go.yaml.in/yaml/v3"
)

// dataSpecNames are the files a pipeline written as data, for teams that do
// not write CUE, may be: the same schema applies, and errors point at their
// lines and columns.
var dataSpecNames = []string{"pipeline.yaml", "pipeline.yml", "pipeline.json"}

// dataSpec returns the data spec of dir, if it has one and no CUE files.
func dataSpec(dir string) string {
	if hasCUEFiles(dir) {
		return ""
	}
	for _, name := range dataSpecNames {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// loadData reads a YAML or JSON spec into CUE, keeping its positions.
// Duplicate keys are errors (YAML would otherwise keep the last one), and
// the schema's closed definitions make unknown fields errors, as in CUE.
//
// It also returns the spec's syntax as a file, or nil if it is not a
// mapping: a data spec shares evaluations between environments as a CUE
// one does.
func loadData(cctx *cue.Context, r *reporter, path string) (cue.Value, *ast.File, bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		r.at(CodePathMissing, token.NoPos, "", "%s: %v", r.relFile(path), err)
		return cue.Value{}, nil, false
	}
	if !uniqueKeys(r, path, src) {
		return cue.Value{}, nil, false
	}
	var v cue.Value
	var syntax *ast.File
	if filepath.Ext(path) == ".json" {
		expr, err := json.Extract(path, src)
		if err != nil {
			r.addCUE(err)
			return cue.Value{}, nil, false
		}
		v = cctx.BuildExpr(expr, cue.Filename(path))
		if lit, ok := expr.(*ast.StructLit); ok {
			syntax = &ast.File{Filename: path, Decls: lit.Elts}
		}
	} else {
		file, err := yaml.Extract(path, src)
		if err != nil {
			r.addCUE(err)
			return cue.Value{}, nil, false
		}
		v, syntax = cctx.BuildFile(file), file
	}
	if err := v.Err(); err != nil {
		r.addCUE(err)
		return cue.Value{}, nil, false
	}
	return v, syntax, true
}

// uniqueKeys reports each key a YAML or JSON mapping repeats: YAML readers
// keep one of the values silently, so the spec would not say what its
// author thinks it says. JSON is YAML here.
func uniqueKeys(r *reporter, path string, src []byte) bool {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(src, &doc); err != nil {
		return true // a syntax error: the CUE extraction reports it, positioned
	}
	ok := true
	var walk func(n *yamlv3.Node)
	walk = func(n *yamlv3.Node) {
		if n.Kind == yamlv3.MappingNode {
			first := map[string]*yamlv3.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if prev, dup := first[k.Value]; dup {
					r.diags = append(r.diags, Diagnostic{
						File: r.relFile(path), Line: k.Line, Column: k.Column, Severity: Error, Code: CodeSyntax,
						Message: fmt.Sprintf("duplicate key %q (first at line %d); keep one", k.Value, prev.Line),
					})
					ok = false
				} else {
					first[k.Value] = k
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return ok
}
