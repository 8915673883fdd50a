package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/internal/buildcache"
	"github.com/pipec/pipec/schema"
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
		return compileAndGenerate(ctx, args, opts, nil, nil)
	}
	dirs, diags, err := compiler.Dirs(args)
	if err != nil || diags.HasErrors() {
		return nil, diags, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	// Hashing a pipeline's inputs and reading its entry is file I/O and
	// hashing, independent per pipeline.
	keys := make([]string, len(dirs))
	hits := make([]*buildcache.Entry, len(dirs))
	forEach(len(dirs), func(i int) {
		// The working directory is part of the key because cached
		// warnings name files relative to it.
		key, err := buildcache.Key(dirs[i], compiler.HeaderDir(opts.Root, dirs[i])+"\x00"+cwd)
		if err != nil {
			return // no key: compile it, do not store it
		}
		keys[i] = key
		hits[i], _ = cache.Get(key)
	})
	var out []generated
	var misses []string
	missKeys := map[string]string{}
	for i, dir := range dirs {
		if hits[i] != nil {
			out = append(out, generated{Entry: hits[i]})
			diags = append(diags, hits[i].Warnings...)
			continue
		}
		misses = append(misses, dir)
		if keys[i] != "" {
			missKeys[dir] = keys[i]
		}
	}
	if len(misses) > 0 {
		fresh, d, err := compileAndGenerate(ctx, misses, opts, missKeys, cache)
		diags = append(diags, d...)
		if err != nil || d.HasErrors() {
			return nil, diags, err
		}
		out = append(out, fresh...)
	}
	if duplicateNames(out) {
		// Only the compiler can say where the clash is written.
		return compileAndGenerate(ctx, args, opts, nil, nil)
	}
	slices.SortFunc(out, func(a, b generated) int { return strings.Compare(a.Name, b.Name) })
	return out, diags.Sorted(), nil
}

// compileAndGenerate compiles the pipelines and runs the targets on each
// as soon as it has compiled, in the compiler's workers. keys, when given,
// maps a spec directory to the cache key its result is stored under in
// cache.
func compileAndGenerate(ctx context.Context, paths []string, opts compiler.Options, keys map[string]string, cache *buildcache.Cache) ([]generated, compiler.Diagnostics, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	var out []generated
	opts.OnSpec = func(spec *schema.Spec, findings compiler.Diagnostics) error {
		e := &buildcache.Entry{Name: spec.Name}
		for _, t := range all.Targets() {
			files, err := t.Generate(spec)
			if err != nil {
				return fmt.Errorf("%s: %s target: %w", spec.Dir, t.Name(), err)
			}
			e.Files = append(e.Files, files...)
		}
		e.Warnings = findingsIn(cwd, spec.SourceDir, findings)
		key := keys[spec.SourceDir]
		if key != "" {
			// The result is right for these inputs whatever happens to the
			// other pipelines; a failed store only costs the next build time.
			cache.Put(key, e)
		}
		mu.Lock()
		out = append(out, generated{Entry: e, key: key})
		mu.Unlock()
		return nil
	}
	res, err := compiler.Compile(ctx, paths, opts)
	if err != nil || res.Diagnostics.HasErrors() {
		var diags compiler.Diagnostics
		if res != nil {
			diags = res.Diagnostics
		}
		return nil, diags, err
	}
	slices.SortFunc(out, func(a, b generated) int { return strings.Compare(a.Name, b.Name) })
	return out, res.Diagnostics, nil
}

// findingsIn keeps the findings about files in a spec's directory: those
// are the ones a cached result must repeat. Findings name files relative
// to the working directory when they are below it, absolute otherwise.
func findingsIn(cwd, specDir string, findings compiler.Diagnostics) compiler.Diagnostics {
	prefix := specDir + string(filepath.Separator)
	if rel, err := filepath.Rel(cwd, specDir); err == nil && !strings.HasPrefix(rel, "..") {
		prefix = rel + string(filepath.Separator)
	}
	var own compiler.Diagnostics
	for _, d := range findings {
		if strings.HasPrefix(d.File, prefix) {
			own = append(own, d)
		}
	}
	return own
}

// forEach calls f(0) … f(n-1) on GOMAXPROCS goroutines and waits for all.
func forEach(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
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
