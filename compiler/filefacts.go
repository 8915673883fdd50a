package compiler

import (
	"io/fs"
	"os"
	"path/filepath"
)

// fileFacts remembers what the checks of one pipeline learn from the file
// system. Every environment checks the same image sources again (an
// environment may change an image, so each is checked whole), and without
// it each would resolve the same symlinks and read the same files for
// credentials: a third of the checks' time. It lives for one compilation
// of one pipeline, in one goroutine; a nil *fileFacts asks the file system
// every time.
type fileFacts struct {
	real  map[string]result[string]
	stat  map[string]result[fs.FileInfo]
	creds map[string]result[[2]string]
}

type result[T any] struct {
	value T
	err   error
}

func newFileFacts() *fileFacts {
	return &fileFacts{real: map[string]result[string]{}, stat: map[string]result[fs.FileInfo]{}, creds: map[string]result[[2]string]{}}
}

func (f *fileFacts) evalSymlinks(p string) (string, error) {
	return remember(f.known().real, p, filepath.EvalSymlinks)
}

func (f *fileFacts) statOf(p string) (fs.FileInfo, error) {
	return remember(f.known().stat, p, os.Stat)
}

func (f *fileFacts) credentialIn(p string) [2]string {
	found, _ := remember(f.known().creds, p, func(p string) ([2]string, error) { return credentialIn(p), nil })
	return found
}

// known returns f, or for a nil f facts that remember nothing.
func (f *fileFacts) known() *fileFacts {
	if f == nil {
		return &fileFacts{}
	}
	return f
}

// remember returns what ask says of p, asking only once per p when m is
// not nil.
func remember[T any](m map[string]result[T], p string, ask func(string) (T, error)) (T, error) {
	r, ok := m[p]
	if !ok {
		r.value, r.err = ask(p)
		if m != nil {
			m[p] = r
		}
	}
	return r.value, r.err
}
