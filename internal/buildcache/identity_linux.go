//go:build linux

package buildcache

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileIdentity describes a file so that any change to it, or its
// replacement by another, describes it differently.
func fileIdentity(info fs.FileInfo) (string, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d %d %d %d %d", st.Dev, st.Ino, st.Size, st.Mtim.Nano(), st.Ctim.Nano()), true
}
