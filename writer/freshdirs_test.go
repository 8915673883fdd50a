package writer

import (
	"os"
	"path/filepath"
	"testing"
)

func openFreshDirs(t *testing.T) (string, *freshDirs) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "top")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	top, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { top.Close() })
	d, err := newFreshDirs(top)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	return dir, d
}

// Files land at their paths, every directory on the way is created and
// described as an lstat of it describes it: the stamp a no-op build
// compares with.
func TestFreshDirsCreateWhatTheStampDescribes(t *testing.T) {
	dir, d := openFreshDirs(t)
	for _, rel := range []string{"k8s/overlays/dev/kustomization.yaml", "k8s/overlays/prod/kustomization.yaml", "k8s/base/a.yaml", "index"} {
		if _, _, err := d.create(rel, []byte(rel)); err != nil {
			t.Fatalf("create %s: %v", rel, err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); err != nil || string(got) != rel {
			t.Fatalf("%s holds %q (%v), want %q", rel, got, err, rel)
		}
	}
	seen := map[string]bool{}
	err := d.dirs(func(rel string, st fileStat, ok bool) {
		seen[rel] = true
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if want, wantOK := statOf(info); st != want || ok != wantOK {
			t.Errorf("%s: described as %+v (%v), lstat says %+v (%v)", rel, st, ok, want, wantOK)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"k8s", "k8s/base", "k8s/overlays", "k8s/overlays/dev", "k8s/overlays/prod"} {
		if !seen[want] {
			t.Errorf("directory %s not described (described: %v)", want, seen)
		}
	}
	if len(seen) != 5 {
		t.Errorf("described %v, want the 5 directories created", seen)
	}
}

// Nothing is written outside the top: not through "..", not through a
// link standing where a directory is to be created.
func TestFreshDirsStayInsideTheTop(t *testing.T) {
	dir, d := openFreshDirs(t)
	outside := filepath.Dir(dir)
	for _, rel := range []string{"../escaped", "a/../../escaped", "/escaped", "a//b", "./a"} {
		if _, _, err := d.create(rel, []byte("x")); err == nil {
			t.Errorf("create %q succeeded", rel)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "k8s")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.create("k8s/escaped", []byte("x")); err == nil {
		t.Error("create through a link to outside the top succeeded")
	}
	if _, err := os.Lstat(filepath.Join(outside, "escaped")); err == nil {
		t.Errorf("a file was written outside the top, in %s", outside)
	}
}
