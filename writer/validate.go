package writer

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/targets"
)

// validate checks the plan's invariants and returns its files sorted by path
// and its scope.
func validate(plan Plan) ([]targets.File, scopeSet, error) {
	scope := scopeSet{}
	for _, s := range plan.Scope {
		dir := strings.TrimSuffix(s, "/")
		if !cleanRelative(dir) {
			return nil, nil, internalError("scope %q is not a clean relative path inside a pipeline", s)
		}
		scope[dir] = true
	}

	files := slices.Clone(plan.Files)
	slices.SortFunc(files, func(a, b targets.File) int { return strings.Compare(a.Path, b.Path) })
	// Keyed by lower case, so that two paths that a case-insensitive file
	// system would merge are caught on every system.
	seen := map[string]string{}
	dirs := map[string]string{}
	for _, f := range files {
		p := f.Path
		switch {
		case !cleanRelative(p) || !strings.Contains(p, "/"):
			return nil, nil, internalError("file %q is not a clean relative path inside a pipeline directory", p)
		case reserved(path.Base(p)):
			return nil, nil, internalError("file %q has a name the writer keeps for itself", p)
		case !scope.contains(p):
			return nil, nil, internalError("file %q is outside the scope of this build %q", p, plan.Scope)
		}
		key := strings.ToLower(p)
		if other, ok := seen[key]; ok {
			if other == p {
				return nil, nil, internalError("file %q is generated twice", p)
			}
			return nil, nil, internalError("files %q and %q differ only in case", other, p)
		}
		seen[key] = p
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[strings.ToLower(d)] = p
		}
	}
	for _, f := range files {
		if other, ok := dirs[strings.ToLower(f.Path)]; ok {
			return nil, nil, internalError("file %q is also a directory of %q", f.Path, other)
		}
	}
	return files, scope, nil
}

// cleanRelative reports whether p is a non-empty, clean, slash-separated
// path that stays below the directory it is relative to.
func cleanRelative(p string) bool {
	if p == "" || strings.Contains(p, `\`) {
		return false
	}
	// Element by element, which path.Clean(p) == p would also say but
	// for copying p: a no-op build checks every path of every stamp.
	for elem := range strings.SplitSeq(p, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}

// reserved reports whether a file name belongs to the writer itself.
func reserved(name string) bool {
	return name == indexName || strings.HasPrefix(name, tmpPrefix)
}

// scopeSet is the set of directories a build owns, without trailing slashes.
// A set rather than a list: a build of every pipeline has one entry per
// pipeline, and every file of the build is looked up in it.
type scopeSet map[string]bool

// contains reports whether p is one of the scope's directories or lies
// inside one: it looks up p and each of its parents.
func (s scopeSet) contains(p string) bool {
	for {
		if s[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// sorted returns the scope's directories in order, so that walking them
// reports the same error first on every run.
func (s scopeSet) sorted() []string {
	return slices.Sorted(maps.Keys(s))
}

// pipelineOf returns the pipeline a path belongs to: its first element.
func pipelineOf(p string) string {
	name, _, _ := strings.Cut(p, "/")
	return name
}
