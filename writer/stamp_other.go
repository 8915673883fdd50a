//go:build !linux

package writer

import (
	"io/fs"
	"os"
)

// statOf reports that stamps are not trusted here: a build reads and
// compares every file. (Linux only, for now, since stamps are only ever
// taken on the file systems syncfs trusts.)
func statOf(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }

// dirStatter is never reached where statOf trusts nothing.
func dirStatter(*os.Root, string) (func(string) (fileStat, bool), func()) { return nil, nil }
