package compiler

import (
	"os"
	"path/filepath"
	"testing"
)

// One pipeline's environments share what the file system told the first:
// a second question about the same path is answered from memory, and a
// nil *fileFacts always asks the file system.
func TestFileFactsAnswerEachPathOnce(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "sa.json")
	if err := os.WriteFile(key, []byte(`{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(key, link); err != nil {
		t.Fatal(err)
	}
	f := newFileFacts()
	first := f.credentialIn(key)
	if first[0] == "" {
		t.Fatalf("credentialIn(%s) found nothing; the test's key must look like one", key)
	}
	real, err := f.evalSymlinks(link)
	if err != nil || real != key {
		t.Fatalf("evalSymlinks(link) = %q, %v; want %q", real, err, key)
	}
	if _, err := f.statOf(key); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte("nothing secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if again := f.credentialIn(key); again != first {
		t.Errorf("credentialIn asked again: %q, want the remembered %q", again, first)
	}
	if again, err := f.evalSymlinks(link); err != nil || again != key {
		t.Errorf("evalSymlinks asked again: %q, %v", again, err)
	}
	var none *fileFacts
	if got := none.credentialIn(key); got[0] != "" {
		t.Errorf("a nil fileFacts remembered %q", got)
	}
	if _, err := none.evalSymlinks(link); err == nil {
		t.Error("a nil fileFacts resolved a symlink that is gone")
	}
}
