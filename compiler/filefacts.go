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
	real  map[string]pathResult
	stat  map[string]statResult
	creds map[string][2]string
}

type pathResult struct {
	path string
	err  error
}

type statResult struct {
	info fs.FileInfo
	err  error
}

func newFileFacts() *fileFacts {
	return &fileFacts{real: map[string]pathResult{}, stat: map[string]statResult{}, creds: map[string][2]string{}}
}

func (f *fileFacts) evalSymlinks(p string) (string, error) {
	if f == nil {
		return filepath.EvalSymlinks(p)
	}
	r, ok := f.real[p]
	if !ok {
		r.path, r.err = filepath.EvalSymlinks(p)
		f.real[p] = r
	}
	return r.path, r.err
}

func (f *fileFacts) statOf(p string) (fs.FileInfo, error) {
	if f == nil {
		return os.Stat(p)
	}
	r, ok := f.stat[p]
	if !ok {
		r.info, r.err = os.Stat(p)
		f.stat[p] = r
	}
	return r.info, r.err
}

func (f *fileFacts) credentialIn(p string) [2]string {
	if f == nil {
		return credentialIn(p)
	}
	r, ok := f.creds[p]
	if !ok {
		r = credentialIn(p)
		f.creds[p] = r
	}
	return r
}
