//go:build !unix

package buildcache

import "io"

// hashRegularFile leaves every file to os.Stat and os.Open here.
func hashRegularFile(io.Writer, string, string, []byte) (bool, error) { return false, nil }
