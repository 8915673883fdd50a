package writer

import (
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/targets"
)

// validate checks the plan's invariants and returns its files sorted by path
// and its scope without trailing slashes.
func validate(plan Plan) ([]targets.File, []string, error) {
	scope := make([]string, len(plan.Scope))
	for i, s := range plan.Scope {
		s = strings.TrimSuffix(s, "/")
		if !cleanRelative(s) {
			return nil, nil, internalError("scope %q is not a clean relative path inside a pipeline", plan.Scope[i])
		}
		scope[i] = s
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
		case !inScope(scope, p):
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
	if p == "" || path.Clean(p) != p || path.IsAbs(p) || strings.Contains(p, `\`) {
		return false
	}
	return !slices.Contains(strings.Split(p, "/"), "..") && p != "."
}

// reserved reports whether a file name belongs to the writer itself.
func reserved(name string) bool {
	return name == indexName || strings.HasPrefix(name, tmpPrefix)
}

// inScope reports whether p lies inside one of the scope's prefixes.
func inScope(scope []string, p string) bool {
	for _, s := range scope {
		if p == s || strings.HasPrefix(p, s+"/") {
			return true
		}
	}
	return false
}

// pipelineOf returns the pipeline a path belongs to: its first element.
func pipelineOf(p string) string {
	name, _, _ := strings.Cut(p, "/")
	return name
}
