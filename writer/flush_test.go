package writer

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// While a build stages files, the flusher syncs their file system in the
// background; it stops before Commit publishes anything, and a check,
// which writes nothing, has none.
func TestTheFlusherSyncsDuringABuildAndStopsAtCommit(t *testing.T) {
	var calls atomic.Int64
	realFlush, realEvery := flushFileSystem, flushEvery
	t.Cleanup(func() { flushFileSystem, flushEvery = realFlush, realEvery })
	flushEvery = time.Millisecond
	flushFileSystem = func(*os.File) error { calls.Add(1); return nil }

	dir := t.TempDir()
	if _, syncable := fileSystemOf(mustOpen(t, dir)); !syncable {
		t.Skip("the test's file system cannot be synced as a whole; builds sync each file there")
	}
	out := filepath.Join(dir, "out")
	check, err := Begin(out, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Add(generations()[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := check.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("a check synced the file system %d times", n)
	}

	s, err := Begin(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(generations()[0]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); calls.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no background sync while the build was under way")
		}
	}
	if _, err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	after := calls.Load()
	time.Sleep(20 * time.Millisecond)
	if n := calls.Load(); n != after {
		t.Errorf("the flusher synced %d times after Commit", n-after)
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
