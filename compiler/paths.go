package compiler

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue/token"
)

// expandPaths turns command-line arguments into pipeline directories:
// a directory, a `dir/...` pattern (every directory below holding .cue
// files), or a file, which stands for the directory holding it (what a
// pre-commit hook passes). No argument means `./...`.
func expandPaths(cwd string, args []string) ([]string, Diagnostics) {
	if len(args) == 0 {
		args = []string{"./..."}
	}
	r := &reporter{cwd: cwd}
	seen := map[string]bool{}
	var dirs []string
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, arg := range args {
		recursive := false
		if a, ok := strings.CutSuffix(arg, "..."); ok {
			recursive = true
			arg = strings.TrimSuffix(a, "/")
			if arg == "" {
				arg = "."
			}
		}
		abs := arg
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(cwd, arg)
		}
		info, err := os.Stat(abs)
		if err != nil {
			r.at(CodeNoPipeline, token.NoPos, "", "%s: no such file or directory; pass a pipeline directory, a file in one, or dir/...", arg)
			continue
		}
		switch {
		case recursive:
			var found []string
			if info.IsDir() {
				found = pipelinesBelow(abs)
			}
			if len(found) == 0 {
				r.at(CodeNoPipeline, token.NoPos, "", "%s: no pipeline found (no .cue files below it)", arg)
			}
			for _, d := range found {
				add(d)
			}
		case info.IsDir():
			if !isPipelineDir(abs) {
				hint := ""
				pattern := strings.TrimSuffix(arg, "/") + "/..."
				switch below := len(pipelinesBelow(abs)); {
				case below == 1:
					hint = "; to check the pipeline below it, pass " + pattern
				case below > 1:
					hint = fmt.Sprintf("; to check the %d pipelines below it, pass %s", below, pattern)
				}
				r.at(CodeNoPipeline, token.NoPos, "", "%s: not a pipeline directory (no .cue files in it)%s", arg, hint)
				continue
			}
			add(abs)
		default:
			if dir, ok := pipelineOf(abs, cwd); ok {
				add(dir)
			}
			// A file that belongs to no pipeline (a README, a file in
			// deploy/) is what a pre-commit hook passes all the time:
			// nothing to check, not an error.
		}
	}
	slices.Sort(dirs)
	return dirs, r.diags
}

// pipelinesBelow returns the pipeline directories at and below dir. Each
// directory is read once, for its pipeline files and its subdirectories
// alike, in the order filepath.WalkDir would take.
func pipelinesBelow(dir string) []string {
	var found []string
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		if hasSpec(dir, entries) {
			found = append(found, dir)
		}
		for _, e := range entries {
			if e.IsDir() && !skipDir(e.Name()) {
				walk(filepath.Join(dir, e.Name()))
			}
		}
	}
	walk(dir)
	return found
}

// pipelineOf finds the pipeline a file belongs to: the nearest directory
// above it that holds .cue files, so that an image's source file
// (pipelines/tweets/collector/collect.py) stands for its pipeline. The
// search stops at the working directory and at a repository's root.
func pipelineOf(file, cwd string) (string, bool) {
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if isPipelineDir(dir) {
			return dir, !strings.Contains(dir+string(filepath.Separator), string(filepath.Separator)+"cue.mod"+string(filepath.Separator))
		}
		if dir == cwd || filepath.Dir(dir) == dir {
			return "", false
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return "", false
		}
	}
}

// skipDir leaves out directories that never hold pipelines: VCS and tool
// state, CUE module metadata, test fixtures and vendored code.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
		name == "cue.mod" || name == "testdata" || name == "node_modules" || name == "vendor"
}

func hasCUEFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(entries, isCUEFile)
}

func isCUEFile(e fs.DirEntry) bool { return !e.IsDir() && strings.HasSuffix(e.Name(), ".cue") }

// isPipelineDir reports whether dir holds a spec: CUE files, or a
// pipeline.yaml, pipeline.yml or pipeline.json.
func isPipelineDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && hasSpec(dir, entries)
}

// hasSpec is isPipelineDir for a directory already read.
func hasSpec(dir string, entries []fs.DirEntry) bool {
	if slices.ContainsFunc(entries, isCUEFile) {
		return true
	}
	for _, e := range entries {
		if slices.Contains(dataSpecNames, e.Name()) {
			// A link to a file counts, as os.Stat would say.
			if _, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				return true
			}
		}
	}
	return false
}
