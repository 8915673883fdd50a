package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/internal/buildcache"
	"github.com/pipec/pipec/targets/all"
)

// generated is one pipeline's output, compiled now or taken from the cache.
type generated struct {
	*buildcache.Entry
	key string // cache key when compiled now; empty for a cache hit
}

// generate compiles the pipelines at args and runs every target on them.
// With a cache, a pipeline whose inputs are unchanged since a previous
// build is not compiled at all: its files come from the cache.
func generate(ctx context.Context, args []string, opts compiler.Options, cache *buildcache.Cache) ([]generated, compiler.Diagnostics, error) {
	if cache == nil {
		return compileAndGenerate(ctx, args, opts, nil)
	}
	dirs, diags, err := compiler.Dirs(args)
	if err != nil || diags.HasErrors() {
		return nil, diags, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	var out []generated
	var misses []string
	keys := map[string]string{}
	for _, dir := range dirs {
		// The working directory is part of the key because cached
		// warnings name files relative to it.
		key, err := buildcache.Key(dir, compiler.HeaderDir(opts.Root, dir)+"\x00"+cwd)
		if err == nil {
			if e, ok := cache.Get(key); ok {
				out = append(out, generated{Entry: e})
				diags = append(diags, e.Warnings...)
				continue
			}
			keys[dir] = key
		}
		misses = append(misses, dir)
	}
	if len(misses) > 0 {
		fresh, d, err := compileAndGenerate(ctx, misses, opts, keys)
		diags = append(diags, d...)
		if err != nil || d.HasErrors() {
			return nil, diags, err
		}
		for _, g := range fresh {
			if g.key != "" {
				cache.Put(g.key, g.Entry) // a failed store only costs the next build time
			}
		}
		out = append(out, fresh...)
	}
	if duplicateNames(out) {
		// Only the compiler can say where the clash is written.
		return compileAndGenerate(ctx, args, opts, nil)
	}
	slices.SortFunc(out, func(a, b generated) int { return strings.Compare(a.Name, b.Name) })
	return out, diags.Sorted(), nil
}

// compileAndGenerate compiles and runs the targets. keys, when given, maps
// a spec directory to the cache key its result is to be stored under.
func compileAndGenerate(ctx context.Context, paths []string, opts compiler.Options, keys map[string]string) ([]generated, compiler.Diagnostics, error) {
	res, err := compiler.Compile(ctx, paths, opts)
	if err != nil || res.Diagnostics.HasErrors() {
		return nil, res.Diagnostics, err
	}
	cwd, _ := os.Getwd()
	var out []generated
	for _, spec := range res.Specs {
		e := &buildcache.Entry{Name: spec.Name}
		for _, t := range all.Targets() {
			files, err := t.Generate(spec)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s target: %w", spec.Dir, t.Name(), err)
			}
			e.Files = append(e.Files, files...)
		}
		// Findings name files relative to the working directory when they
		// are below it, absolute otherwise; a spec's warnings are those in
		// its directory.
		prefix := spec.SourceDir + string(filepath.Separator)
		if rel, err := filepath.Rel(cwd, spec.SourceDir); err == nil && !strings.HasPrefix(rel, "..") {
			prefix = rel + string(filepath.Separator)
		}
		for _, d := range res.Diagnostics {
			if strings.HasPrefix(d.File, prefix) {
				e.Warnings = append(e.Warnings, d)
			}
		}
		out = append(out, generated{Entry: e, key: keys[spec.SourceDir]})
	}
	return out, res.Diagnostics, nil
}

func duplicateNames(gs []generated) bool {
	seen := map[string]bool{}
	for _, g := range gs {
		k := strings.ToLower(g.Name)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}
