//go:build unix

package buildcache

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A link is hashed as the file it leads to; a pipe as its line alone,
// whether the directory listed it as a pipe or as the regular file it was
// when listed.
func TestHashTreeFollowsLinksAndNeverReadsPipes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	os.Chmod(filepath.Join(dir, "a.txt"), 0o644) // whatever the umask
	os.Chmod(pipe, 0o644)

	done := make(chan string)
	go func() {
		var got strings.Builder
		if err := hashTree(&got, dir, dir); err != nil {
			t.Error(err)
		}
		// The pipe, as if it had been a regular file when listed.
		if ok, err := hashRegularFile(&got, pipe, "swapped", make([]byte, 64)); !ok || err != nil {
			t.Errorf("hashRegularFile of a pipe: %v, %v", ok, err)
		}
		done <- got.String()
	}()
	select {
	case got := <-done:
		want := "file \"a.txt\" 644 3\nabc" +
			"file \"link.txt\" 644 3\nabc" +
			"file \"pipe\" 644 0\n" +
			"file \"swapped\" 644 0\n"
		if got != want {
			t.Errorf("hashed:\n%q\nwant:\n%q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hashing a named pipe blocked")
	}
}
