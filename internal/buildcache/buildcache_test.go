package buildcache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pipec/pipec/targets"
)

func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"pipeline.cue":         "package p\n",
		"web/app.py":           "print(1)\n",
		"web/requirements.txt": "requests==2.32.3\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func key(t *testing.T, dir, header string) string {
	t.Helper()
	k, err := Key(dir, header)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAnyInputChangeInvalidates: the key changes with every input a build
// depends on, and only with them.
func TestAnyInputChangeInvalidates(t *testing.T) {
	changes := map[string]func(dir string) string{
		"spec edited":         func(dir string) string { return write(t, dir, "pipeline.cue", "package p\nname: \"x\"\n") },
		"image source edited": func(dir string) string { return write(t, dir, "web/app.py", "print(2)\n") },
		"requirements edited": func(dir string) string { return write(t, dir, "web/requirements.txt", "requests==2.32.4\n") },
		"file added":          func(dir string) string { return write(t, dir, "web/extra.py", "") },
		"lock added":          func(dir string) string { return write(t, dir, "pipec.lock", "python:3.12@sha256:00\n") },
		"file renamed": func(dir string) string {
			os.Rename(filepath.Join(dir, "web/app.py"), filepath.Join(dir, "web/main.py"))
			return "p"
		},
		"file removed":           func(dir string) string { os.Remove(filepath.Join(dir, "web/requirements.txt")); return "p" },
		"mode changed":           func(dir string) string { os.Chmod(filepath.Join(dir, "web/app.py"), 0o755); return "p" },
		"header directory moved": func(dir string) string { return "other" },
		"enclosing cue.mod edited": func(dir string) string {
			return "p"
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "p")
			os.Rename(tree(t), dir)
			if name == "enclosing cue.mod edited" {
				write(t, parent, "cue.mod/module.cue", "module: \"a.example@v0\"\n")
			}
			before := key(t, dir, "p")
			if again := key(t, dir, "p"); again != before {
				t.Fatal("the key of an unchanged tree changed")
			}
			header := change(dir)
			if name == "enclosing cue.mod edited" {
				write(t, parent, "cue.mod/module.cue", "module: \"b.example@v0\"\n")
			}
			if key(t, dir, header) == before {
				t.Errorf("%s: key unchanged, so a stale result would be reused", name)
			}
		})
	}
}

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return "p"
}

func TestPutGet(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := key(t, tree(t), "p")
	if _, ok := c.Get(k); ok {
		t.Fatal("hit in an empty cache")
	}
	want := &Entry{Name: "p", Files: []targets.File{{Path: "p/a.yaml", Data: []byte("a: 1\n"), Env: "dev"}}}
	if err := c.Put(k, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(k)
	if !ok || got.Name != "p" || len(got.Files) != 1 || string(got.Files[0].Data) != "a: 1\n" || got.Files[0].Env != "dev" {
		t.Fatalf("got %+v", got)
	}
	// A damaged entry is a miss, never an error or a wrong result.
	os.WriteFile(c.path(k), []byte("garbage"), 0o644)
	if _, ok := c.Get(k); ok {
		t.Fatal("a damaged entry was used")
	}
}

// The hash of pipec's executable is kept in the cache under the file's
// identity, and taken again once the file changes or is replaced.
func TestExecutableHashIsKeptUntilTheFileChanges(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the hash is kept on Linux only")
	}
	cacheDir := t.TempDir()
	exe := filepath.Join(t.TempDir(), "pipec")
	if err := os.WriteFile(exe, []byte("build 1"), 0o755); err != nil {
		t.Fatal(err)
	}
	sumOf := func(data string) string {
		h := sha256.Sum256([]byte(data))
		return hex.EncodeToString(h[:])
	}
	hash := func() string {
		t.Helper()
		sum, err := hashFile(exe, cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if got := hash(); got != sumOf("build 1") {
		t.Fatalf("first hash %s, want %s", got, sumOf("build 1"))
	}
	// Prove the kept hash is what is read: tamper with it.
	kept, _ := filepath.Glob(filepath.Join(cacheDir, "self", "*"))
	if len(kept) != 1 {
		t.Fatalf("kept hashes: %v, want one", kept)
	}
	fake := sumOf("tampered")
	os.WriteFile(kept[0], []byte(fake), 0o644)
	if got := hash(); got != fake {
		t.Fatalf("the kept hash was not used: got %s", got)
	}
	// Rewritten in place, same size: ctime and mtime change.
	if err := os.WriteFile(exe, []byte("build 2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := hash(); got != sumOf("build 2") {
		t.Errorf("after a rewrite: %s, want %s", got, sumOf("build 2"))
	}
	// Replaced by another file with a rename, as go build does.
	next := exe + ".new"
	os.WriteFile(next, []byte("build 3"), 0o755)
	if err := os.Rename(next, exe); err != nil {
		t.Fatal(err)
	}
	if got := hash(); got != sumOf("build 3") {
		t.Errorf("after a replacement: %s, want %s", got, sumOf("build 3"))
	}
}
