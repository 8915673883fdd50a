package writer

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// dirFiles creates new files only (never through a link, never over a
// file), reads them back whatever size the caller expected, and does not
// wait on a FIFO that took a file's place.
func TestDirFiles(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	files, err := openDirFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	defer files.close()

	data := bytes.Repeat([]byte("kind: ConfigMap\n"), 1000)
	st, ok, err := files.create("a.yaml", data)
	if err != nil || !ok {
		t.Fatalf("create: %v, %v", ok, err)
	}
	info, err := os.Lstat(filepath.Join(dir, "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := statOf(info); st != want {
		t.Errorf("create's stat %+v, lstat's %+v", st, want)
	}
	for _, size := range []int64{int64(len(data)), 0, 10} { // as expected, and smaller: the file grew
		if got, err := files.read("a.yaml", size); err != nil || !bytes.Equal(got, data) {
			t.Errorf("read with size %d: %d bytes, %v; want %d bytes", size, len(got), err, len(data))
		}
	}
	if _, _, err := files.create("a.yaml", []byte("x")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("create over an existing file: %v, want it refused", err)
	}
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := files.create("link", []byte("x")); err == nil {
		t.Error("create through a dangling link succeeded")
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("create followed the link: %v", err)
	}
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := files.read("link", 6); err == nil {
		t.Errorf("read followed a link: %q", got)
	}

	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := files.read("fifo", 10)
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("read of a FIFO is still waiting for a writer")
	}
}
