package compiler

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/pipec/pipec/schema"
)

// Environments usually differ in a few values (the project, a replica
// count), while a pipeline's entries (its images, topics, services, DAGs…)
// are mostly the same in every environment. Evaluating each environment
// whole repeats the schema's work on every entry once per environment, and
// that was most of what a build spent in CUE.
//
// So an entry that refers to nothing outside itself is evaluated against
// the schema and decoded once; each environment that leaves it alone gets
// its own copy, because the checks fill in derived values per environment.
// An environment that overrides it with a value that refers to nothing
// else either evaluates it on its own, with the override, the same way.
// The rest of the pipeline (its top-level values, entries that refer to
// other values, the entries an environment changes with values that do)
// is evaluated per environment from the spec with those entries, and the
// overrides of them, taken out.
//
// The analysis reads the syntax and proves what it relies on, or gives up:
// anything that could let a value see a map of entries (a reference to one
// by name, an alias, a comprehension or embedding at the top level) turns
// sharing off for the pipeline. And anything the shared evaluation does not
// accept cleanly is evaluated again the whole way, so findings, and their
// positions, are always those of the whole evaluation.

// entryKind is one map of entries of #Pipeline: how to decode an entry,
// once it passed Validate (decodeValid), and how to give an environment
// its copy.
type entryKind struct {
	name   string
	decode func(cue.Value) (any, error)
	put    func(p *schema.Pipeline, key string, decoded any)
}

func kindOf[T any](name string, field func(*schema.Pipeline) *map[string]*T) entryKind {
	return entryKind{
		name: name,
		decode: func(v cue.Value) (any, error) {
			e := new(T)
			return e, decodeValid(v, e) // evalShared validated v
		},
		put: func(p *schema.Pipeline, key string, decoded any) {
			m := field(p)
			if *m == nil {
				*m = map[string]*T{}
			}
			(*m)[key] = deepCopy(decoded.(*T))
		},
	}
}

var entryKinds = []entryKind{
	kindOf("images", func(p *schema.Pipeline) *map[string]*schema.Image { return &p.Images }),
	kindOf("topics", func(p *schema.Pipeline) *map[string]*schema.Topic { return &p.Topics }),
	kindOf("subscriptions", func(p *schema.Pipeline) *map[string]*schema.Subscription { return &p.Subscriptions }),
	kindOf("datasets", func(p *schema.Pipeline) *map[string]*schema.Dataset { return &p.Datasets }),
	kindOf("buckets", func(p *schema.Pipeline) *map[string]*schema.Bucket { return &p.Buckets }),
	kindOf("services", func(p *schema.Pipeline) *map[string]*schema.Service { return &p.Services }),
	kindOf("dags", func(p *schema.Pipeline) *map[string]*schema.DAG { return &p.DAGs }),
}

func isEntryMap(name string) bool {
	return slices.ContainsFunc(entryKinds, func(k entryKind) bool { return k.name == name })
}

// predeclared are the identifiers a shared entry may use: CUE's types and
// top. Anything else is a reference that might reach outside the entry.
var predeclared = map[string]bool{
	"_": true, "bool": true, "bytes": true, "null": true, "string": true,
	"number": true, "int": true, "float": true, "uint": true, "rune": true,
	"int8": true, "int16": true, "int32": true, "int64": true, "int128": true,
	"uint8": true, "uint16": true, "uint32": true, "uint64": true, "uint128": true,
	"float32": true, "float64": true,
}

// sharePlan says which entries of a pipeline evaluate the same in every
// environment.
type sharePlan struct {
	// shared lists, per map of entries, the keys evaluated once.
	shared map[string][]string
	// envs holds the environments whose overrides were read, each with the
	// shared entries it overrides ("services\x00web"). An environment not
	// here is evaluated whole.
	envs map[string]map[string]bool
	// local marks the environments whose overrides of shared entries refer
	// to nothing outside themselves, as the entries do: each such entry is
	// evaluated on its own with its override, and taken out of the
	// environment's override for the rest of the spec (sharedEntries.resolve).
	local map[string]bool
}

// planSharing reads a pipeline's files and returns which entries can be
// shared between environments, or nil when it cannot tell.
func planSharing(files []*ast.File) *sharePlan {
	a := &shareAnalysis{
		candidate: map[string]map[string]bool{},
		dynamic:   map[string]bool{},
		refs:      map[string]bool{},
		envs:      map[string]map[string]bool{},
		unread:    map[string]bool{},
		nonLocal:  map[string]bool{},
	}
	for _, f := range files {
		if f == nil || !a.file(f) {
			return nil
		}
	}
	for name := range a.refs {
		if isEntryMap(name) {
			return nil
		}
	}
	plan := &sharePlan{shared: map[string][]string{}, envs: map[string]map[string]bool{}, local: map[string]bool{}}
	for m, keys := range a.candidate {
		if a.dynamic[m] {
			continue
		}
		for k, ok := range keys {
			// A key some value names might be reached through the map's
			// scope, so it stays where references can find it.
			if ok && !a.refs[k] {
				plan.shared[m] = append(plan.shared[m], k)
			}
		}
		slices.Sort(plan.shared[m])
	}
	if len(plan.shared) == 0 {
		return nil
	}
	for env, touched := range a.envs {
		if !a.unread[env] {
			plan.envs[env] = touched
			// A value naming the environments would see their overrides
			// without the entries taken out.
			plan.local[env] = !a.nonLocal[env] && !a.refs["environments"]
		}
	}
	return plan
}

// isShared reports whether environment env takes entry key of map m from
// the shared evaluation.
func (p *sharePlan) isShared(env, m, key string) bool {
	return !p.envs[env][m+"\x00"+key]
}

// buildRest builds the spec without the shared entries. CUE's compiler
// resolves a reference by the identity of the syntax node that scopes it,
// so a copy of the syntax would not compile: the maps' lists of entries are
// changed in place while build runs, and restored before it returns.
//
// Entries in keep ("images\x00web") stay in.
func (p *sharePlan) buildRest(files []*ast.File, build func() cue.Value, keep map[string]bool) cue.Value {
	type saved struct {
		lit  *ast.StructLit
		elts []ast.Decl
	}
	var restore []saved
	defer func() {
		for _, s := range slices.Backward(restore) {
			s.lit.Elts = s.elts
		}
	}()
	// drop takes the shared entries out of lit, a map of entries m, but
	// for those in keep.
	drop := func(m string, lit *ast.StructLit, keep map[string]bool) {
		keys := p.shared[m]
		if len(keys) == 0 {
			return
		}
		restore = append(restore, saved{lit, lit.Elts})
		lit.Elts = slices.DeleteFunc(slices.Clone(lit.Elts), func(e ast.Decl) bool {
			f, ok := e.(*ast.Field)
			if !ok {
				return false
			}
			k, _, _ := ast.LabelName(f.Label)
			_, found := slices.BinarySearch(keys, k)
			return found && !keep[m+"\x00"+k]
		})
	}
	for _, f := range files {
		for _, d := range f.Decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(field.Label)
			lit, ok := field.Value.(*ast.StructLit)
			switch {
			case !ok:
			case name == "environments":
				p.dropLocalOverrides(lit, drop)
			default:
				drop(name, lit, keep)
			}
		}
	}
	return build()
}

// dropLocalOverrides takes, with drop, the overrides of shared entries out
// of the local environments in lit, the value of environments.
func (p *sharePlan) dropLocalOverrides(lit *ast.StructLit, drop func(string, *ast.StructLit, map[string]bool)) {
	for _, e := range lit.Elts {
		f, env, ok := plainField(e)
		if !ok || !p.local[env] {
			continue
		}
		over, ok := f.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		for _, e := range over.Elts {
			f, m, ok := plainField(e)
			if !ok || !isEntryMap(m) {
				continue
			}
			if entries, ok := f.Value.(*ast.StructLit); ok {
				drop(m, entries, nil)
			}
		}
	}
}

type shareAnalysis struct {
	// candidate holds, per map, each key and whether every declaration of
	// it refers to nothing but predeclared identifiers.
	candidate map[string]map[string]bool
	// dynamic marks maps written in a form whose entries cannot be
	// listed, such as with a pattern constraint.
	dynamic map[string]bool
	// refs are the names every reference outside the candidates uses.
	refs map[string]bool
	// envs holds, per environment, the entries its overrides name;
	// unread marks environments written in a form not followed.
	envs   map[string]map[string]bool
	unread map[string]bool
	// nonLocal marks environments that override an entry with a value
	// referring outside itself.
	nonLocal map[string]bool
}

func (a *shareAnalysis) file(f *ast.File) bool {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.Attribute:
		case *ast.ImportDecl:
			for _, s := range d.Specs {
				if s.Name != nil && (predeclared[s.Name.Name] || isEntryMap(s.Name.Name)) {
					return false
				}
			}
		case *ast.LetClause:
			if predeclared[d.Ident.Name] {
				return false
			}
			if !a.references(d.Expr) {
				return false
			}
		case *ast.Field:
			name, ok := plainLabel(d)
			if !ok || predeclared[name] {
				return false
			}
			switch {
			case isEntryMap(name):
				if !a.entryMap(name, d.Value) {
					return false
				}
			case name == "environments":
				if !a.environments(d.Value) || !a.references(d.Value) {
					return false
				}
			default:
				if !a.references(d.Value) {
					return false
				}
			}
		default:
			// An embedding or a comprehension at the top level can add to
			// any map, or read all of them.
			return false
		}
	}
	return true
}

// entryMap reads the declaration of one map of entries.
func (a *shareAnalysis) entryMap(m string, v ast.Expr) bool {
	lit, ok := v.(*ast.StructLit)
	if !ok {
		a.dynamic[m] = true
		return a.references(v)
	}
	keys := a.candidate[m]
	if keys == nil {
		keys = map[string]bool{}
		a.candidate[m] = keys
	}
	for _, e := range lit.Elts {
		f, key, ok := plainField(e)
		if !ok || predeclared[key] || strings.HasPrefix(key, "#") || strings.HasPrefix(key, "_") {
			a.dynamic[m] = true
			if !a.references(e) {
				return false
			}
			continue
		}
		self, prior := selfContained(f.Value), true
		if seen, ok := keys[key]; ok {
			prior = seen
		}
		keys[key] = prior && self
		if !self && !a.references(f.Value) {
			return false
		}
	}
	return true
}

// environments reads which entries each environment's overrides name.
func (a *shareAnalysis) environments(v ast.Expr) bool {
	lit, ok := v.(*ast.StructLit)
	if !ok {
		return false
	}
	for _, e := range lit.Elts {
		f, env, ok := plainField(e)
		if !ok {
			return false
		}
		touched := a.envs[env]
		if touched == nil {
			touched = map[string]bool{}
			a.envs[env] = touched
		}
		over, ok := f.Value.(*ast.StructLit)
		if !ok {
			a.unread[env] = true
			continue
		}
		for _, e := range over.Elts {
			f, name, ok := plainField(e)
			if !ok {
				a.unread[env] = true
				continue
			}
			if !isEntryMap(name) {
				continue
			}
			entries, ok := f.Value.(*ast.StructLit)
			if !ok {
				a.unread[env] = true
				continue
			}
			for _, e := range entries.Elts {
				f, key, ok := plainField(e)
				if !ok {
					a.unread[env] = true
					continue
				}
				touched[name+"\x00"+key] = true
				if !selfContained(f.Value) {
					a.nonLocal[env] = true
				}
			}
		}
	}
	return true
}

// plainField returns d as a regular field with a plain label (plainLabel),
// and that label.
func plainField(d ast.Decl) (*ast.Field, string, bool) {
	f, ok := d.(*ast.Field)
	if !ok {
		return nil, "", false
	}
	name, ok := plainLabel(f)
	return f, name, ok
}

// plainLabel is the name of a regular field written as an identifier or a
// string, without alias or constraint marker.
func plainLabel(f *ast.Field) (string, bool) {
	if f.Alias != nil || f.Constraint != token.ILLEGAL {
		return "", false
	}
	switch f.Label.(type) {
	case *ast.Ident, *ast.BasicLit:
	default:
		return "", false
	}
	name, _, err := ast.LabelName(f.Label)
	return name, err == nil
}

// references adds the names n refers to. It returns false on an alias,
// which makes a name refer to something without naming it.
func (a *shareAnalysis) references(n ast.Node) bool {
	ok := true
	walkReferences(n, func(id *ast.Ident) { a.refs[id.Name] = true }, func() { ok = false })
	return ok
}

// selfContained reports whether an entry's value refers to nothing but
// predeclared identifiers.
func selfContained(n ast.Node) bool {
	ok := true
	walkReferences(n, func(id *ast.Ident) {
		if !predeclared[id.Name] {
			ok = false
		}
	}, func() { ok = false })
	return ok
}

// walkReferences calls ref for each identifier n uses as a reference (not
// field labels, not the names after a selector's dot) and alias for each
// alias it declares.
func walkReferences(n ast.Node, ref func(*ast.Ident), alias func()) {
	ast.Walk(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			ref(n)
		case *ast.Alias:
			alias()
		case *ast.Field:
			if n.Alias != nil {
				alias()
			}
			switch l := n.Label.(type) {
			case *ast.Ident, *ast.BasicLit:
			default:
				walkReferences(l, ref, alias)
			}
			walkReferences(n.Value, ref, alias)
			return false
		case *ast.SelectorExpr:
			walkReferences(n.X, ref, alias)
			return false
		case *ast.LetClause, *ast.ForClause:
			// They declare names: treat the clause as unknown territory.
			alias()
		}
		return true
	}, nil)
}

// deepCopy copies a decoded entry: pointers, maps and slices are copied
// all the way down, so one environment's checks never change another's.
func deepCopy[T any](src *T) *T {
	dst := reflect.New(reflect.TypeFor[T]())
	copyValue(dst.Elem(), reflect.ValueOf(src).Elem())
	return dst.Interface().(*T)
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		copyValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		for i := range src.NumField() {
			copyValue(dst.Field(i), src.Field(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			copyValue(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			copyValue(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		copyValue(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src)
	}
}

// sharedEntries are a plan's entries evaluated against the schema and
// decoded, once for all environments.
type sharedEntries struct {
	plan *sharePlan
	// rests are the spec without them, evaluated per environment, by the
	// shared entries an environment overrides and so keeps ("" for none).
	rests    map[string]cue.Value
	files    []*ast.File
	build    func() cue.Value
	defaults []cue.Path
	decoded  map[string]map[string]any
	// entryDefs are the schema context's (schemaContext.entryDefs).
	entryDefs map[string]cue.Value
}

// restFor returns the spec without the shared entries, but for those in
// keep.
func (s *sharedEntries) restFor(keep map[string]bool) cue.Value {
	id := strings.Join(slices.Sorted(maps.Keys(keep)), "\x01")
	if v, ok := s.rests[id]; ok {
		return v
	}
	v := s.plan.buildRest(s.files, s.build, keep)
	s.rests[id] = v
	return v
}

// evalShared evaluates the shared entries of plan. It returns nil if any
// of them has an error: the whole evaluation then reports it, where the
// user wrote it.
func evalShared(sc *schemaContext, plan *sharePlan, user cue.Value, defaults []cue.Path, files []*ast.File, build func() cue.Value) *sharedEntries {
	rest := plan.buildRest(files, build, nil)
	if rest.Err() != nil {
		return nil
	}
	s := &sharedEntries{plan: plan, rests: map[string]cue.Value{"": rest}, files: files, build: build, defaults: defaults, decoded: map[string]map[string]any{}, entryDefs: sc.entryDefs}
	for _, k := range entryKinds {
		keys := plan.shared[k.name]
		if len(keys) == 0 {
			continue
		}
		out := make(map[string]any, len(keys))
		for _, key := range keys {
			// No environment overrides a shared entry, so the base's
			// defaults are the ones every environment commits for it
			// (defaults.go).
			entry := commitDefaults(user.LookupPath(cue.MakePath(cue.Str(k.name), cue.Str(key))), under(defaults, k.name, key))
			v := sc.entryDefs[k.name].Unify(entry)
			if v.Validate(cue.Concrete(true), cue.Final()) != nil {
				return nil
			}
			e, err := k.decode(v)
			if err != nil {
				return nil
			}
			out[key] = e
		}
		s.decoded[k.name] = out
	}
	return s
}

// apart reports whether environment env evaluates entry key of map m
// apart from the rest of the spec: it takes the shared evaluation, or the
// environment is local and evaluates its override of the entry on its own.
func (s *sharedEntries) apart(env, m, key string) bool {
	_, shared := slices.BinarySearch(s.plan.shared[m], key)
	return shared && (s.plan.local[env] || s.plan.isShared(env, m, key))
}

// evalOverridden evaluates entry key of map k, which environment env
// overrides, with that override, as evalShared evaluates the entries no
// environment overrides. It returns false if CUE finds an error: the whole
// evaluation then reports it, where the user wrote it.
func (s *sharedEntries) evalOverridden(user cue.Value, k entryKind, key, env string) (any, bool) {
	entry := user.LookupPath(cue.MakePath(cue.Str(k.name), cue.Str(key)))
	over := user.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(env), cue.Str(k.name), cue.Str(key)))
	v := s.entryDefs[k.name].Unify(commitDefaults(entry.Unify(over), under(s.defaults, k.name, key)))
	if v.Validate(cue.Concrete(true), cue.Final()) != nil {
		return nil, false
	}
	e, err := k.decode(v)
	return e, err == nil
}

// resolve is resolveEnv for an environment of a plan. It returns false,
// having reported nothing, when the environment must be evaluated whole:
// the plan did not read its overrides, or CUE found an error.
func (s *sharedEntries) resolve(r *reporter, def, user, override cue.Value, env, dir string, files *fileFacts) (*schema.Pipeline, bool) {
	if s == nil {
		return nil, false
	}
	touched, ok := s.plan.envs[env]
	if !ok {
		return nil, false
	}
	// The shared entries a local environment overrides are evaluated on
	// their own, with their overrides; its override of the rest comes from
	// the rest's build, which took those out. Another environment's are
	// evaluated with the rest, from a build that keeps them: filling each
	// in would evaluate the rest once more per entry.
	local, apart := s.plan.local[env], 0
	keep := map[string]bool{}
	for k := range touched {
		m, key, _ := strings.Cut(k, "\x00")
		if _, shared := slices.BinarySearch(s.plan.shared[m], key); shared {
			if local {
				apart++
			} else {
				keep[k] = true
			}
		}
	}
	base := s.restFor(keep)
	if base.Err() != nil {
		return nil, false
	}
	restOverride := override
	if local {
		restOverride = base.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(env)))
	}
	var defaults []cue.Path // those not inside the entries evaluated apart
	for _, p := range s.defaults {
		if sels := p.Selectors(); len(sels) < 2 || anyKey(sels[1]) || !s.apart(env, sels[0].String(), sels[1].Unquoted()) {
			defaults = append(defaults, p)
		}
	}
	v := def.Unify(commitDefaults(base.Unify(restOverride), defaults))
	if validateEnv(v) != nil {
		return nil, false
	}
	p, broken := decodePartial(v, true)
	if len(broken) > 0 {
		return nil, false
	}
	for _, k := range entryKinds {
		for key, e := range s.decoded[k.name] {
			switch {
			case s.plan.isShared(env, k.name, key):
				k.put(p, key, e)
			case local:
				e, ok := s.evalOverridden(user, k, key, env)
				if !ok {
					return nil, false
				}
				k.put(p, key, e)
			}
		}
	}
	p.Env = env
	c := &checker{r: r, v: v, p: p, dir: dir, env: env, broken: broken, files: files, positions: written(user, override)}
	c.check()
	if resolvedHow != nil {
		switch {
		case len(keep) > 0:
			resolvedHow(dir, env, "kept")
		case apart > 0:
			resolvedHow(dir, env, "local")
		default:
			resolvedHow(dir, env, "shared")
		}
	}
	if r.diags.HasErrors() {
		return nil, true
	}
	return p, true
}

// resolvedHow, set by a test, hears how each environment of a pipeline
// in dir was evaluated: "shared" when it overrides no shared entry,
// "local" when it evaluated those it overrides on their own, "kept" when
// it evaluated them with the rest, and "whole".
var resolvedHow func(dir, env, how string)

// countEnvs counts the environments a compilation resolves: sharing
// evaluations pays only from two on.
func countEnvs(user cue.Value, only string) int {
	if only != "" {
		return 1
	}
	n := 0
	for it, _ := user.LookupPath(cue.ParsePath("environments")).Fields(); it != nil && it.Next(); {
		n++
	}
	return n
}
