// Package lock reads and writes pipec.lock, the file beside a pipeline's
// spec that pins every image the pipeline uses to a digest, and works out
// what `pipec lock` changes in it. It never touches the network: current
// digests come from a Resolver, which package lock/resolve implements
// against real registries.
//
// The file holds one pinned reference per line, sorted, after a comment:
//
//	# Image digests pinned by 'pipec lock'; 'pipec build' writes them into every output.
//	# Refresh base images with 'pipec lock'; record a pushed image with 'pipec lock --set NAME=REF@sha256:...'.
//	asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector:latest@sha256:5b0f...
//	python:3.12-slim-bookworm@sha256:0e5d...
//
// Each line is the reference pipec writes when the image is not pinned
// (the key), then '@' and the digest. A line is thus itself a valid
// reference to the pinned image, a review shows one changed line per moved
// image, and a merge conflict is a conflict on that image's line only.
package lock

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// FileName is the lock file's name, in the spec's directory.
const FileName = "pipec.lock"

const header = "# Image digests pinned by 'pipec lock'; 'pipec build' writes them into every output.\n" +
	"# Refresh base images with 'pipec lock'; record a pushed image with 'pipec lock --set NAME=REF@sha256:...'.\n"

// digestPattern is the only digest form pins may use: sha256 is what
// registries compute and what every runtime verifies.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ValidDigest reports whether d is a digest a pin may hold.
func ValidDigest(d string) bool { return digestPattern.MatchString(d) }

// SyntaxError is a line of a lock file that is not a pinned reference.
type SyntaxError struct {
	// File is the lock file's path as it was given.
	File         string
	Line, Column int
	Msg          string
}

// Error is the error as file:line:col: message.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Parse reads a lock file's contents: each reference it pins, without
// digest, mapped to its digest. file names the file in errors. Blank lines
// and lines starting with '#' are ignored, and so is a CR before a line
// feed, which Windows checkouts may add.
func Parse(file string, data []byte) (map[string]string, error) {
	pins := map[string]string{}
	lines := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		fail := func(col int, format string, args ...any) error {
			return &SyntaxError{File: file, Line: n, Column: col, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "<<<<<<<") || strings.HasPrefix(line, "=======") || strings.HasPrefix(line, ">>>>>>>"):
			return nil, fail(1, "merge conflict marker: keep one side, or delete the lock's conflicting lines and run 'pipec lock' again")
		}
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			return nil, fail(i+1, "unexpected space: each line is one pinned reference, REF@sha256:DIGEST")
		}
		at := strings.LastIndexByte(line, '@')
		if at < 0 {
			return nil, fail(len(line)+1, "%q has no digest: write REF@sha256:DIGEST", line)
		}
		ref, digest := line[:at], line[at+1:]
		if !ValidDigest(digest) {
			return nil, fail(at+2, "%q is not a digest: write sha256: and 64 lowercase hexadecimal digits", digest)
		}
		if err := validRef(ref); err != nil {
			return nil, fail(1, "%v", err)
		}
		if prev, ok := lines[ref]; ok {
			return nil, fail(1, "%s is pinned twice (also on line %d): keep one", ref, prev)
		}
		lines[ref] = n
		pins[ref] = digest
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pins, nil
}

// validRef checks a key: a reference by tag, as pipec writes it unpinned.
func validRef(ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("%q is not an image reference: %v", ref, err)
	}
	if _, ok := r.(name.Tag); !ok {
		return fmt.Errorf("%q already holds a digest: write the reference by tag, then @sha256:DIGEST", ref)
	}
	return nil
}

// Read parses the lock file at path. A missing file is an empty lock: a
// pipeline without one pins nothing.
func Read(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Format writes pins as a lock file: the header, then one pinned reference
// per line in byte order, so the same pins always give the same bytes.
func Format(pins map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	for _, ref := range slices.Sorted(maps.Keys(pins)) {
		b.WriteString(ref + "@" + pins[ref] + "\n")
	}
	return b.Bytes()
}

// Write replaces the lock file at path with pins. The new contents are
// written to a temporary file in the same directory, synced and renamed
// over the old file, so a reader sees the old lock or the new one, never a
// mix, and a failure leaves the old lock as it was.
func Write(path string, pins map[string]string) error {
	data := Format(pins)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+FileName+"-*")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	committed = true
	return nil
}
