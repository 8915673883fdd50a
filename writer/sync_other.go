//go:build !linux

package writer

import (
	"errors"
	"os"
)

// Without syncfs, a build syncs each file and directory it writes.
var syncFileSystem = func(*os.File) error { return errors.ErrUnsupported }

func fileSystemOf(*os.File) (dev uint64, syncable bool) { return 0, false }
