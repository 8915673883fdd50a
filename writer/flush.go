package writer

import (
	"os"
	"time"
)

// flushEvery is how often a build asks the kernel to write back what it
// staged so far; flushFileSystem is how (syncFileSystem, kept apart so
// that tests counting the syncs that make a build durable do not count
// these). Variables for tests.
var (
	flushEvery      = time.Second
	flushFileSystem = func(f *os.File) error { return syncFileSystem(f) }
)

// flusher syncs the file systems a build writes to while the build goes
// on. It is not what makes the files durable (the sync before they are
// published is); it lets the disk take the data while the compiler still
// works, so that the final sync, which nothing can overlap, has little
// left to wait for.
type flusher struct {
	stop, done chan struct{}
}

func (t *tree) startFlusher() *flusher {
	f := &flusher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		tick := time.NewTicker(flushEvery)
		defer tick.Stop()
		for {
			select {
			case <-f.stop:
				return
			case <-tick.C:
				t.flushEarly()
			}
		}
	}()
	return f
}

// halt stops the flusher and waits for a sync under way to end. It may be
// called more than once, and on nil.
func (f *flusher) halt() {
	if f == nil {
		return
	}
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	<-f.done
}

// flushEarly syncs the file systems noted so far, ignoring failures: the
// final sync reports those.
func (t *tree) flushEarly() {
	if t.perFile.Load() {
		return
	}
	t.mu.Lock()
	files := make([]*os.File, 0, len(t.fileSystems))
	for _, f := range t.fileSystems {
		files = append(files, f)
	}
	t.mu.Unlock()
	for _, f := range files {
		flushFileSystem(f)
	}
}
