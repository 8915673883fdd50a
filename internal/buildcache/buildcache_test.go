package buildcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

// pipec identifies itself by the build ID go build wrote, the one
// `go tool buildid` reads, and hashes executables that have none.
func TestExecutableIsIdentifiedByItsGoBuildID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("build IDs are read from ELF executables only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Fatalf("go tool buildid %s: %v", exe, err)
	}
	want := strings.TrimSpace(string(out))
	got, ok := goBuildID(exe)
	if !ok || got != want {
		t.Fatalf("goBuildID = %q, %v; go tool buildid says %q", got, ok, want)
	}
	self, err := selfHash(t.TempDir())
	if err != nil || self != "go build ID "+want {
		t.Fatalf("selfHash = %q, %v", self, err)
	}

	// Not an ELF file, or an ELF file without the note: no ID.
	plain := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o755)
	if id, ok := goBuildID(plain); ok {
		t.Errorf("a shell script has build ID %q", id)
	}

	note := func(owner string, typ uint32, id string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(owner)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(id)))
		b = binary.LittleEndian.AppendUint32(b, typ)
		return append(append(b, owner...), id...)
	}
	good := strings.Repeat("abcdefghij", 2)
	four := good + "/" + good + "/" + good + "/" + strings.Repeat("-_09AZaz12", 2)
	for _, tc := range []struct {
		name string
		note []byte
		ok   bool
	}{
		{"go build's", note("Go\x00\x00", 4, four), true},
		{"linked with -buildid=", note("Go\x00\x00", 4, ""), false},
		{"made up", note("Go\x00\x00", 4, "redacted"), false},
		{"two parts", note("Go\x00\x00", 4, good+"/"+good), false},
		{"a part too short", note("Go\x00\x00", 4, four[1:]), false},
		{"a character outside base64url", note("Go\x00\x00", 4, strings.Replace(four, "a", "+", 1)), false},
		{"another owner", note("GNU\x00", 4, four), false},
		{"another type", note("Go\x00\x00", 3, four), false},
		{"cut short", note("Go\x00\x00", 4, four)[:40], false},
		{"empty", nil, false},
	} {
		if id, ok := parseBuildIDNote(tc.note, binary.LittleEndian); ok != tc.ok || ok && id != four {
			t.Errorf("%s: got %q, %v; want ok %v", tc.name, id, ok, tc.ok)
		}
	}
}

// hashTree hashes each file's path, mode, size and content, in path order;
// what it writes is exactly what the key covers.
func TestHashTreeWritesEachFilesPathModeSizeAndContent(t *testing.T) {
	dir := tree(t)
	big := strings.Repeat("x", 100<<10) // longer than the read buffer
	if err := os.WriteFile(filepath.Join(dir, "web", "big.bin"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"pipeline.cue": 0o644, "web/app.py": 0o644, "web/big.bin": 0o600, "web/requirements.txt": 0o644} {
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	var got strings.Builder
	if err := hashTree(&got, dir, dir); err != nil {
		t.Fatal(err)
	}
	want := "file \"pipeline.cue\" 644 10\npackage p\n" +
		"file \"web/app.py\" 644 9\nprint(1)\n" +
		"file \"web/big.bin\" 600 102400\n" + big +
		"file \"web/requirements.txt\" 644 17\nrequests==2.32.3\n"
	if got.String() != want {
		t.Errorf("hashTree wrote %d bytes:\n%.300q\nwant %d bytes:\n%.300q", got.Len(), got.String(), len(want), want)
	}
}
