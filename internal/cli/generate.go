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
	"github.com/pipec/pipec/targets"
	"github.com/pipec/pipec/targets/all"
)

// generated is one pipeline's output, compiled now or taken from the cache.
type generated struct {
	*buildcache.Entry
	key    string // the pipeline's cache key; empty when it has none
	cached bool   // taken from the cache, or found in the output as it was
	// stamped is set when the output was found as a build with the same
	// key left it, so that neither the cache nor the files were read.
	stamped bool
}

// sink receives a pipeline's files as soon as they exist, from several
// goroutines at once.
type sink func(name string, files []targets.File) error

// stamps lets a build skip even the cache for pipelines whose output is
// as a previous build with the same inputs left it.
type stamps struct {
	// out is the output directory, an absolute path.
	out string
	// addUnchanged adds a pipeline to the build by the stamp of its
	// output directory, and reports whether the directory still matches
	// it (writer.Session.AddUnchanged).
	addUnchanged func(name string, stamp []byte) bool
}

// generate compiles the pipelines at args and runs every target on them.
// With a cache, a pipeline whose inputs are unchanged since a previous
// build is not compiled at all: its files come from the cache. With a
// sink, each pipeline's files go to it and are not kept, so memory holds
// only the pipelines in flight; a pipeline named like one already sunk is
// held back, since the build fails on the name clash anyway.
//
// With stamps as well, a pipeline whose output directory is still as a
// build with the same key left it is added to the build by its stamp,
// without reading its cache entry or its files.
func generate(ctx context.Context, args []string, opts compiler.Options, cache *buildcache.Cache, st *stamps, to sink) ([]generated, compiler.Diagnostics, error) {
	names := &nameSet{seen: map[string]bool{}}
	to = names.onePerName(to)
	if cache == nil {
		return checkNames(ctx, args, opts)(compileAndGenerate(ctx, args, opts, nil, to))
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	r := &reuse{cache: cache, st: st, names: names, to: to, cwd: cwd, root: opts.Root, keys: map[string]string{}}
	withCache := opts
	withCache.Reuse = r.lookup
	out, diags, err := compileAndGenerate(ctx, args, withCache, r, to)
	if err != nil || diags.HasErrors() {
		return nil, diags, err
	}
	for _, g := range r.hits {
		diags = append(diags, g.Warnings...)
	}
	out = append(out, r.hits...)
	slices.SortFunc(out, func(a, b generated) int { return strings.Compare(a.Name, b.Name) })
	return checkNames(ctx, args, opts)(out, diags.Sorted(), nil)
}

// reuse takes pipelines whose inputs did not change from a build cache,
// as the compiler's workers come to them (compiler.Options.Reuse), and
// remembers the keys of the others, under which their results are stored.
type reuse struct {
	cache *buildcache.Cache
	st    *stamps
	names *nameSet
	to    sink
	cwd   string
	root  string

	mu   sync.Mutex
	keys map[string]string // by spec directory, for the pipelines compiled
	hits []generated
}

// lookup reports whether the pipeline in dir was taken from the cache.
func (r *reuse) lookup(dir string) (bool, error) {
	// The working directory is part of the key because cached warnings
	// name files relative to it.
	key, err := r.cache.Key(dir, compiler.HeaderDir(r.root, dir)+"\x00"+r.cwd)
	if err != nil {
		return false, nil // no key: compile it, do not store it
	}
	hit, err := r.find(key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if hit == nil {
		r.keys[dir] = key
		return false, err
	}
	r.hits = append(r.hits, *hit)
	return true, err
}

// find returns the result stored under key, passing its files to the
// sink, or nil when there is none.
func (r *reuse) find(key string) (*generated, error) {
	if r.st != nil && r.to != nil {
		if s, ok := r.cache.GetStamp(key, r.st.out); ok && r.names.claim(s.Name) {
			if r.st.addUnchanged(s.Name, s.Tree) {
				e := &buildcache.Entry{Name: s.Name, Warnings: s.Warnings}
				return &generated{Entry: e, key: key, cached: true, stamped: true}, nil
			}
			r.names.release(s.Name)
		}
	}
	e, ok := r.cache.Get(key)
	if !ok {
		return nil, nil
	}
	var err error
	if r.to != nil {
		err = r.to(e.Name, e.Files)
		e.Files = nil
	}
	return &generated{Entry: e, key: key, cached: true}, err
}

// keyOf returns the key a compiled pipeline's result is stored under, or
// "" when it has none.
func (r *reuse) keyOf(dir string) string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[dir]
}

// checkNames passes a generation's result through, unless two pipelines
// in it share a name: then it returns the compiler's findings on all of
// them, since only the compiler can say where the clash is written (one
// of the pipelines may have come from the cache).
func checkNames(ctx context.Context, args []string, opts compiler.Options) func([]generated, compiler.Diagnostics, error) ([]generated, compiler.Diagnostics, error) {
	return func(out []generated, diags compiler.Diagnostics, err error) ([]generated, compiler.Diagnostics, error) {
		if err != nil || diags.HasErrors() || !duplicateNames(out) {
			return out, diags, err
		}
		opts.OnSpec = func(*schema.Spec, compiler.Diagnostics) error { return nil }
		opts.Reuse = nil // the clash may involve a pipeline taken from the cache
		res, err := compiler.Compile(ctx, args, opts)
		if err != nil {
			return nil, nil, err
		}
		if !res.Diagnostics.HasErrors() {
			return nil, nil, fmt.Errorf("internal error: two pipelines share a name, and the compiler does not say where")
		}
		return nil, res.Diagnostics, nil
	}
}

// nameSet holds the names of the pipelines a build has passed on, in lower
// case.
type nameSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// claim reports whether no pipeline of this name was passed on yet, and
// if so takes the name.
func (n *nameSet) claim(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[strings.ToLower(name)] {
		return false
	}
	n.seen[strings.ToLower(name)] = true
	return true
}

// release gives back a name claimed for a pipeline that was not passed on.
func (n *nameSet) release(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.seen, strings.ToLower(name))
}

// onePerName passes on the first pipeline of each name (in any case) and
// holds back the others: the build fails on the clash anyway, and only
// the compiler can say where it is written.
func (n *nameSet) onePerName(to sink) sink {
	if to == nil {
		return nil
	}
	return func(name string, files []targets.File) error {
		if !n.claim(name) {
			return nil
		}
		return to(name, files)
	}
}

// compileAndGenerate compiles the pipelines and runs the targets on each
// as soon as it has compiled, in the compiler's workers. cached, when
// given, is asked first about each pipeline (opts.Reuse) and stores the
// results of those compiled; to, when given, takes the files.
func compileAndGenerate(ctx context.Context, paths []string, opts compiler.Options, cached *reuse, to sink) ([]generated, compiler.Diagnostics, error) {
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
		key := cached.keyOf(spec.SourceDir)
		if key != "" {
			// The result is right for these inputs whatever happens to the
			// other pipelines; a failed store only costs the next build time.
			cached.cache.Put(key, e)
		}
		if to != nil {
			if err := to(e.Name, e.Files); err != nil {
				return err
			}
			e.Files = nil
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
