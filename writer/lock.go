package writer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultLockWait is how long a build waits for another build of the same
// output directory to finish before giving up.
const DefaultLockWait = 2 * time.Minute

// buildLock serialises builds of one output directory, so two builds never
// interleave their writes into a mixed tree. The lock file lives in the
// user's cache directory, keyed by the output directory's absolute path:
// nothing appears in the user's repository, and deleting it is always safe.
type buildLock struct {
	f *os.File
}

// LockPath is the file whose flock serialises builds of root.
func LockPath(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "pipec", "locks", hex.EncodeToString(sum[:12])+".lock"), nil
}

// acquire takes the lock of root's builds, waiting up to wait for a build
// that holds it. The lock dies with the process that holds it, so a killed
// build never leaves it stuck.
func acquire(root string, wait time.Duration) (*buildLock, error) {
	path, err := LockPath(root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%s: cannot create the build lock: %w", root, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the build lock %s: %w", root, path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			return nil, fmt.Errorf("%s: cannot take the build lock %s: %w", root, path, err)
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%s: another pipec build is writing here (pid %s) and did not finish within %s; wait for it, or stop it, and build again",
				root, pidOf(holder), wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &buildLock{f: f}, nil
}

func pidOf(b []byte) string {
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "unknown"
}

func (l *buildLock) release() {
	unlock(l.f)
	l.f.Close()
}
