// Package compiler loads pipeline specs written in CUE, validates them
// against the embedded schema and the rules CUE cannot express, and resolves
// each environment into the plain Go model that targets consume. It never
// writes files and never touches the network.
package compiler

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/pipec/pipec/schema"
)

// Options tune a compilation.
type Options struct {
	// Root is the directory spec paths in generated headers are relative
	// to, normally the repository root (the output directory's parent).
	// Empty means the working directory.
	Root string
	// Env limits resolution to one environment; empty means all.
	Env string
	// Workers bounds how many pipelines compile at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each pipeline compiled, with how
	// many are done and how many there are; calls never overlap.
	Progress func(done, total int)
	// AllowUnpinned lets images without a locked digest through even where
	// an environment sets requireDigests: `pipec lock` compiles the
	// pipelines whose images it is about to pin.
	AllowUnpinned bool
	// OnSpec, when set, receives each pipeline that compiled without
	// errors, with its own findings, in the worker that compiled it and
	// so concurrently with other pipelines. Result.Specs then stays empty:
	// a build of thousands of pipelines runs its targets while the next
	// ones compile, and never holds every model at once. An error from
	// OnSpec stops the compilation and is returned by Compile.
	OnSpec func(spec *schema.Spec, findings Diagnostics) error
	// Reuse, when set, is asked about each pipeline directory first, in
	// the worker that would compile it. Reporting true leaves the pipeline
	// out of the compilation, as if it had not been named: the caller has
	// its result already, from a build cache. Asking in the workers lets
	// hashing a pipeline's inputs overlap with compiling the others. An
	// error stops the compilation and is returned by Compile.
	Reuse func(dir string) (bool, error)

	// evalWhole turns off sharing evaluations between environments
	// (share.go), for tests to compare against.
	evalWhole bool
}

// Result is what a compilation produced: one Spec per pipeline that
// compiled (unless Options.OnSpec took them), and every finding about
// every pipeline.
type Result struct {
	Specs       []*schema.Spec
	Diagnostics Diagnostics
	// Compiled counts the pipelines that compiled without errors.
	Compiled int
}

// Compile loads and validates the pipelines found at paths (directories,
// `dir/...` patterns, or files inside pipeline directories) and resolves
// every environment. A pipeline with errors yields diagnostics and no Spec;
// the others still compile, so one run reports everything.
func Compile(ctx context.Context, paths []string, opts Options) (*Result, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root := opts.Root
	if root == "" {
		root = cwd
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	dirs, diags := expandPaths(cwd, paths)

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]unitResult, len(dirs))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var progress sync.Mutex
	done := 0
	reportProgress := func() {
		if opts.Progress != nil {
			progress.Lock()
			done++
			opts.Progress(done, len(dirs))
			progress.Unlock()
		}
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, len(dirs)) {
		wg.Go(func() {
			sc := &schemaContext{}
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				if opts.Reuse != nil {
					reused, err := opts.Reuse(dirs[i])
					if err != nil {
						cancel(err)
						continue
					}
					if reused {
						reportProgress()
						continue
					}
				}
				results[i] = compileDir(sc.get(), dirs[i], cwd, root, opts.Env, !opts.AllowUnpinned, !opts.evalWhole)
				if r := &results[i]; r.spec != nil && opts.OnSpec != nil {
					if err := opts.OnSpec(r.spec, r.diags); err != nil {
						cancel(err)
						continue
					}
					r.spec = nil
				}
				reportProgress()
			}
		})
	}
	for i := range dirs {
		next <- i
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}

	res := &Result{Diagnostics: diags}
	var ok []unitResult
	for _, r := range results {
		res.Diagnostics = append(res.Diagnostics, r.diags...)
		if r.dir != "" { // compiled without errors
			ok = append(ok, r)
		}
	}
	res.Compiled = len(ok)
	res.Diagnostics = append(res.Diagnostics, checkAcrossPipelines(cwd, ok)...)
	res.Diagnostics = res.Diagnostics.sorted()
	if !res.Diagnostics.HasErrors() {
		for _, r := range ok {
			if r.spec != nil {
				res.Specs = append(res.Specs, r.spec)
			}
		}
		slices.SortFunc(res.Specs, func(a, b *schema.Spec) int { return strings.Compare(a.Name, b.Name) })
	}
	return res, nil
}

// HeaderDir is how generated headers name a spec directory: relative to
// root, or by its base name when it lies outside root.
func HeaderDir(root, dir string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(dir)
	}
	return filepath.ToSlash(rel)
}

// Dirs resolves command-line paths to pipeline directories the way Compile
// does, with the findings about paths that hold no pipeline.
func Dirs(paths []string) ([]string, Diagnostics, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	dirs, diags := expandPaths(cwd, paths)
	return dirs, diags, nil
}

type unitResult struct {
	// spec is nil when the pipeline has errors, or once OnSpec took it;
	// name and dir are set when it compiled.
	spec *schema.Spec
	name string
	dir  string
	// nameAt is where the name is written: a token.Position, not a
	// token.Pos, which would keep the pipeline's parsed files alive until
	// every pipeline has compiled.
	nameAt token.Position
	diags  Diagnostics
}

// schemaContext is one worker's cue.Context with the schema compiled in
// it. A context is not safe for concurrent use, so each worker has its
// own; it compiles a few pipelines before it is replaced, because
// compiling the schema is a sixth of a small pipeline's cost, while a
// context never frees what it evaluated, and one per worker for the whole
// run would grow with the number of pipelines.
type schemaContext struct {
	cctx *cue.Context
	def  cue.Value
	// entryDefs are the definitions of #Pipeline's maps' entries, by map.
	entryDefs map[string]cue.Value
	uses      int
}

// pipelinesPerContext bounds how many pipelines share a context.
const pipelinesPerContext = 8

func (sc *schemaContext) get() *schemaContext {
	if sc.cctx == nil || sc.uses == pipelinesPerContext {
		sc.cctx = cuecontext.New()
		f, err := evalSchemaFile()
		if err != nil {
			panic(fmt.Sprintf("embedded schema does not parse: %v", err))
		}
		sc.def = sc.cctx.BuildFile(f).LookupPath(cue.ParsePath(schema.Definition))
		if err := sc.def.Err(); err != nil {
			panic(fmt.Sprintf("embedded schema does not compile: %v", err))
		}
		sc.entryDefs = map[string]cue.Value{}
		for _, k := range entryKinds {
			sc.entryDefs[k.name] = sc.def.LookupPath(cue.MakePath(cue.Str(k.name), cue.AnyString))
		}
		sc.uses = 0
	}
	sc.uses++
	return sc
}

// compileDir compiles one pipeline directory.
func compileDir(sc *schemaContext, dir, cwd, root, onlyEnv string, requirePins, share bool) unitResult {
	r := &reporter{cwd: cwd}
	cctx, def := sc.cctx, sc.def
	var user cue.Value
	// files and build let the environments share evaluations (share.go).
	var files []*ast.File
	var build func() cue.Value
	if data := dataSpec(dir); data != "" {
		v, file, ok := loadData(cctx, r, data)
		if !ok {
			return unitResult{diags: r.diags}
		}
		user, files = v, []*ast.File{file}
		build = func() cue.Value { return cctx.BuildFile(file) }
	} else {
		insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
		if len(insts) != 1 || insts[0].Err != nil {
			if len(insts) == 1 {
				r.addCUE(insts[0].Err)
			} else {
				r.at(CodeSyntax, token.NoPos, "", "%s: expected one CUE package, found %d", r.relFile(dir), len(insts))
			}
			return unitResult{diags: r.diags}
		}
		// A binding file (schema.IsBinding) applies the vendored schema for
		// cue vet and editors; pipec applies its own.
		insts[0].Files = slices.DeleteFunc(insts[0].Files, schema.IsBinding)
		user = cctx.BuildInstance(insts[0])
		if err := user.Err(); err != nil {
			r.addCUE(err)
			return unitResult{diags: r.diags}
		}
		files = insts[0].Files
		build = func() cue.Value {
			// A copy: the context caches what it built by instance.
			inst := *insts[0]
			return cctx.BuildInstance(&inst)
		}
	}
	// Errors in the base show up again in every environment, where they
	// are reported (once: diagnostics are de-duplicated).

	spec := &schema.Spec{Dir: HeaderDir(root, dir), SourceDir: dir}
	nameV := user.LookupPath(cue.ParsePath("name"))
	spec.Name, _ = nameV.String()

	envs, err := user.LookupPath(cue.ParsePath("environments")).Fields()
	if err != nil {
		r.addCUE(err)
		return unitResult{diags: r.diags}
	}
	found := false
	defaults := defaultPaths(files)
	var shared *sharedEntries
	if share && countEnvs(user, onlyEnv) > 1 {
		if plan := planSharing(files); plan != nil {
			shared = evalShared(sc, plan, user, defaults, files, build)
		}
	}
	facts := newFileFacts()
	for envs.Next() {
		name := envs.Selector().Unquoted()
		found = true
		if !dnsLabel.ok(name) {
			// Environment names become directories and Kubernetes labels.
			r.at(CodeInvalidName, envs.Value().Pos(), "environments."+name, "environment name %q is not valid: it must be %s", name, dnsLabel.what)
			continue
		}
		if onlyEnv != "" && name != onlyEnv {
			continue
		}
		p, done := shared.resolve(r, def, user, envs.Value(), name, dir, facts)
		if !done {
			p = resolveEnv(r, def, user, envs.Value(), defaults, name, dir, facts)
			if resolvedHow != nil {
				resolvedHow(dir, name, "whole")
			}
		}
		if p != nil {
			spec.Envs = append(spec.Envs, p)
		}
	}
	if !found {
		r.at(CodeEnvironments, user.Pos(), "environments", "the pipeline declares no environment; add one, e.g. environments: dev: project: \"my-project-dev\"")
	} else if onlyEnv != "" && len(spec.Envs) == 0 && !r.diags.HasErrors() {
		r.at(CodeEnvironments, user.LookupPath(cue.ParsePath("environments")).Pos(), "environments", "no environment named %q", onlyEnv)
	}
	checkAcrossEnvs(r, spec, user)
	lockImages(r, spec, user, requirePins)
	if r.diags.HasErrors() {
		return unitResult{diags: r.diags}
	}
	return unitResult{spec: spec, name: spec.Name, dir: dir, nameAt: nameV.Pos().Position(), diags: r.diags}
}

// resolveEnv unifies one environment's overrides with the pipeline. The
// user's values are unified first and closed by the schema afterwards: that
// way a misspelt field in an environment is reported once, where it was
// written.
func resolveEnv(r *reporter, def, user, override cue.Value, defaults []cue.Path, env, dir string, files *fileFacts) *schema.Pipeline {
	v := def.Unify(commitDefaults(user.Unify(override), defaults))
	valid := true
	if err := validateEnv(v); err != nil {
		explainEnvErrors(r, err, def, user, override, env)
		valid = false
	}
	p, broken := decodePartial(v, valid)
	if valid {
		// The schema accepted everything, so a decode failure is pipec's
		// own mismatch between schema and model: say so rather than hide it.
		for _, k := range slices.Sorted(maps.Keys(broken)) {
			r.at(CodeInternal, v.Pos(), strings.ReplaceAll(k, "\x00", "."), "internal error: cannot read a valid value: %v", broken[k])
		}
	}
	p.Env = env
	c := &checker{r: r, v: v, p: p, dir: dir, env: env, broken: broken, files: files, positions: written(user, override)}
	c.check()
	if r.diags.HasErrors() {
		return nil
	}
	return p
}

// explainEnvErrors reports the errors of one environment. Two kinds get a
// message of their own because their CUE wording hides the fix: a base value
// that an environment tries to change, and a value nobody set.
func explainEnvErrors(r *reporter, err error, def, user, override cue.Value, env string) {
	span := nodeSpan(override)
	for _, e := range flatten(err) {
		path, msg := e.path, e.msg
		var inEnv, inBase token.Pos
		for _, p := range e.positions {
			if !p.IsValid() || p.Filename() == schema.Filename {
				continue
			}
			if span.contains(p) {
				inEnv = p
			} else if !inBase.IsValid() {
				inBase = p
			}
		}
		switch {
		case strings.HasPrefix(msg, "conflicting values") && inEnv.IsValid() && inBase.IsValid():
			baseV := user.LookupPath(cue.ParsePath(path))
			envV := override.LookupPath(cue.ParsePath(path))
			field := path[strings.LastIndex(path, ".")+1:]
			r.at(CodeIncompatible, inEnv, path, "environment %q sets %v, but the base fixes it to %v at %s:%d:%d; "+
				"to let environments override it, make the base value a default: %s: *%v | %s",
				env, envV, baseV, r.relFile(inBase.Filename()), inBase.Line(), inBase.Column(),
				field, baseV, kindName(baseV))
		case strings.Contains(msg, "incomplete value") || strings.Contains(msg, "non-concrete value"):
			if derived(user, path) || (path == "registry" && !user.LookupPath(cue.ParsePath(path)).Exists()) {
				// An interpolation of a missing value (the default registry
				// is one): the missing value itself is reported.
				continue
			}
			if d := conflictingDefaults(user.Unify(override).LookupPath(cue.ParsePath(path))); len(d) > 1 {
				// Placed at the last written, usually the more specific
				// (an entry's, after its map's pattern); the same in every
				// environment, so reported once.
				last, others := d[len(d)-1], d[:len(d)-1]
				var at []string
				for _, o := range others {
					at = append(at, fmt.Sprintf("*%v at %s:%d:%d", o.value, r.relFile(o.pos.Filename()), o.pos.Line(), o.pos.Column()))
				}
				r.at(CodeMissingValue, last.pos, path, "has no value: its default *%v here and %s differ, and CUE keeps neither; keep one of them, or set the value",
					last.value, strings.Join(at, " and "))
				continue
			}
			pos := e.pos()
			if !pos.IsValid() {
				pos = override.Pos()
			}
			r.at(CodeMissingValue, pos, path, "has no value in environment %q; set it in the base or under environments.%s", env, env)
		case msg == "field not allowed":
			r.at(CodeUnknownField, e.pos(), path, "%s", unknownField(def, e.parts))
		default:
			r.at(codeOf(msg), e.pos(), path, "%s", friendly(msg))
		}
	}
}

// writtenDefault is a default a user wrote, and where.
type writtenDefault struct {
	value cue.Value
	pos   token.Pos
}

// conflictingDefaults returns the defaults written for v, in the order of
// its conjuncts, when there are several and they differ: CUE then keeps
// none, and v has no value although the user wrote one, twice. A map's
// pattern (`services: [string]: replicas: *2 | int`) and one of its
// entries (`services: api: replicas: *4 | int`) do that.
func conflictingDefaults(v cue.Value) []writtenDefault {
	op, args := v.Expr()
	if op != cue.AndOp {
		return nil
	}
	var out []writtenDefault
	for _, a := range args {
		if d, ok := a.Default(); ok && d.IsConcrete() && a.Pos().IsValid() {
			out = append(out, writtenDefault{d, a.Pos()})
		}
	}
	slices.SortFunc(out, func(a, b writtenDefault) int { return a.pos.Compare(b.pos) })
	for _, d := range out[min(1, len(out)):] {
		if !d.value.Equals(out[0].value) {
			return out
		}
	}
	return nil
}

// unknownField explains a field the schema does not allow by naming the
// fields it does allow there, the closest first.
func unknownField(def cue.Value, parts []string) string {
	parts = labels(parts)
	if len(parts) == 0 {
		return "field not allowed"
	}
	name := parts[len(parts)-1]
	parent := def
	for _, part := range parts[:len(parts)-1] {
		next := parent.LookupPath(cue.MakePath(cue.Str(part)))
		if !next.Exists() {
			next = parent.LookupPath(cue.MakePath(cue.Str(part).Optional()))
		}
		if !next.Exists() {
			// A key of a map, such as a service's name: follow the
			// map's value constraint instead.
			next = parent.LookupPath(cue.MakePath(cue.AnyString))
		}
		parent = next
	}
	allowed := map[string]bool{}
	for it, _ := parent.Fields(cue.Optional(true)); it != nil && it.Next(); {
		allowed[it.Selector().Unquoted()] = true
	}
	if len(allowed) == 0 {
		return fmt.Sprintf("unknown field %q", name)
	}
	if hint := suggest(name, allowed); strings.HasPrefix(hint, "; did you mean") {
		return fmt.Sprintf("unknown field %q%s", name, hint)
	}
	return fmt.Sprintf("unknown field %q; allowed here: %s", name, strings.Join(slices.Sorted(maps.Keys(allowed)), ", "))
}

// derived reports whether the user wrote the value at path as an
// interpolation of other values.
func derived(user cue.Value, path string) bool {
	v := user.LookupPath(cue.ParsePath(path))
	n := v.Source()
	if f, ok := n.(*ast.Field); ok {
		n = f.Value
	}
	_, ok := n.(*ast.Interpolation)
	return ok
}

func kindName(v cue.Value) string {
	switch v.IncompleteKind() {
	case cue.IntKind:
		return "int"
	case cue.FloatKind, cue.NumberKind:
		return "number"
	case cue.BoolKind:
		return "bool"
	case cue.StringKind:
		return "string"
	}
	return "_"
}

type span struct {
	file       string
	start, end int
}

// nodeSpan is the source range of the value's first declaration.
func nodeSpan(v cue.Value) span {
	n := v.Source()
	if n == nil {
		return span{}
	}
	if f, ok := n.(*ast.Field); ok {
		n = f.Value
	}
	return span{file: n.Pos().Filename(), start: n.Pos().Offset(), end: n.End().Offset()}
}

func (s span) contains(p token.Pos) bool {
	return s.file != "" && p.Filename() == s.file && p.Offset() >= s.start && p.Offset() <= s.end
}

// validateEnv validates one environment's value, leaving out errors in its
// environments field. Every environment's overrides ride along in that
// field, and one left open there (`environments: prod: project: string`)
// is not a value this environment lacks; each environment's overrides are
// checked where they land, and reported there.
func validateEnv(v cue.Value) error {
	err := v.Validate(cue.Concrete(true), cue.Final())
	if err == nil {
		return nil
	}
	var kept errors.Error
	for _, e := range errors.Errors(err) {
		// Paths start with the schema's definition; cuePath drops it.
		if path := cuePath(e.Path()); path == "environments" || strings.HasPrefix(path, "environments.") {
			continue
		}
		kept = errors.Append(kept, e)
	}
	if kept == nil {
		return nil
	}
	return kept
}
