// Package dockerfile writes a multi-stage Dockerfile for every image of a
// pipeline, and beside it a Dockerfile.dockerignore that admits only the
// files the image copies.
//
// The ignore file sits beside the Dockerfile, not in the build context,
// because the context is the user's source directory and pipec never
// writes there; BuildKit reads <Dockerfile>.dockerignore in its place.
package dockerfile

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// outputRoot is where the writer puts generated files, relative to the
// project root; only the build command written into each Dockerfile
// needs it.
const outputRoot = "deploy"

// Target writes the Dockerfiles. Base images are written pinned, as
// name:tag@sha256:..., when the spec's pipec.lock pins them: the tag stays
// for the reader and for update tools, the digest decides what is built.
type Target struct{}

var _ targets.Target = Target{}

// Name is "dockerfile".
func (Target) Name() string { return "dockerfile" }

// Generate writes <pipeline>/images/<image>/Dockerfile and
// Dockerfile.dockerignore for each image, in name order. Images are the
// same in every environment, so the first one speaks for all.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	if len(spec.Envs) == 0 {
		return nil, nil
	}
	images := spec.Envs[0].Images
	var files []targets.File
	for _, name := range slices.Sorted(maps.Keys(images)) {
		df, ignore, err := image(spec, name, images[name])
		if err != nil {
			return nil, err
		}
		dir := path.Join(spec.Name, "images", name)
		files = append(files,
			targets.File{Path: dir + "/Dockerfile", Data: df},
			targets.File{Path: dir + "/Dockerfile.dockerignore", Data: ignore})
	}
	return files, nil
}

// bases are the base images of the two stages of an image's Dockerfile,
// each as its FROM line names it: pinned when the lock pins it.
type bases struct{ build, final string }

func basesOf(spec *schema.Spec, img *schema.Image) bases {
	refs := img.BaseImages()
	return bases{build: spec.Pinned(refs[0]), final: spec.Pinned(refs[len(refs)-1])}
}

// image writes one image's Dockerfile and ignore file.
func image(spec *schema.Spec, name string, img *schema.Image) (dockerfile, dockerignore []byte, err error) {
	at := "images." + name
	context := path.Join(spec.Dir, img.Context)
	f := &text{}
	f.line("# syntax=docker/dockerfile:1")
	f.line("# check=error=true")
	f.comment(targets.Marker(spec))
	f.line("#")
	f.comment(fmt.Sprintf("Image %s of pipeline %s. Build it from the project root:", name, spec.Name))
	f.comment("  docker build -f " + shellArg(path.Join(outputRoot, spec.Name, "images", name, "Dockerfile")) + " " + shellArg(context))
	f.comment("Dockerfile.dockerignore beside this file admits only the files copied below.")
	if f.err != nil {
		// The spec directory is the compiler's; the context is the user's.
		return nil, nil, fmt.Errorf("%s.context: %w", at, f.err)
	}

	var copied []string
	if img.Runtime() == "go" {
		mod, err := moduleFiles(spec, at, img)
		if err != nil {
			return nil, nil, err
		}
		copied = golang(f, spec, at, name, img, mod)
	} else {
		copied = python(f, spec, at, img)
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	ignore, err := ignoreFile(spec, name, context, copied)
	if err != nil {
		return nil, nil, err
	}
	return f.buf.Bytes(), ignore, nil
}

// moduleFiles returns go.mod and go.sum when the image copies them or
// they exist in its context: the download layer needs them either way.
func moduleFiles(spec *schema.Spec, at string, img *schema.Image) ([]string, error) {
	var mod []string
	for _, name := range []string{"go.mod", "go.sum"} {
		if slices.ContainsFunc(img.Copy, func(p string) bool { return path.Clean(p) == name }) {
			mod = append(mod, name)
			continue
		}
		_, err := os.Stat(filepath.Join(spec.SourceDir, filepath.FromSlash(img.Context), name))
		switch {
		case err == nil:
			mod = append(mod, name)
		case !os.IsNotExist(err):
			return nil, fmt.Errorf("%s: %w", at, err)
		}
	}
	return mod, nil
}

// copies returns the image's copy entries cleaned, without duplicates and
// without those in skip, in the order the spec lists them: the order is
// the user's, who may list what changes least first.
func copies(img *schema.Image, skip []string) []string {
	var out []string
	for _, p := range img.Copy {
		p = path.Clean(p)
		if !slices.Contains(skip, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// text accumulates a generated file. The first value that cannot be
// written safely is kept in err, so that recipes read top to bottom like
// the file they write and the caller checks once.
type text struct {
	buf bytes.Buffer
	err error
}

func (f *text) line(s string) {
	f.buf.WriteString(s)
	f.buf.WriteByte('\n')
}

func (f *text) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// comment writes s as a '#' comment. A newline would end the comment and
// turn the rest of s into an instruction, so it is refused.
func (f *text) comment(s string) {
	if err := oneLine(s); err != nil {
		f.fail(fmt.Errorf("cannot write %q into a comment: %w", s, err))
	}
	f.line("# " + s)
}

// word quotes s as a word of BuildKit's shell lexer; at says where s
// comes from in the spec.
func (f *text) word(at, s string) string {
	q, err := quote(s)
	if err != nil {
		f.fail(fmt.Errorf("%s: %q %w", at, s, err))
	}
	return q
}

// exec writes an instruction in exec (JSON) form, after optional flags.
func (f *text) exec(instruction, flags string, args ...string) {
	form, err := execForm(args)
	if err != nil {
		f.fail(fmt.Errorf("%s: %w", instruction, err))
	}
	if flags != "" {
		instruction += " " + flags
	}
	f.line(instruction + " " + form)
}

// copy writes COPY in exec form. BuildKit still expands variables and
// quotes in each argument, so every one is quoted as a word first.
func (f *text) copy(at, flags string, args ...string) {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = f.word(at, a)
	}
	f.exec("COPY", flags, words...)
}

// env writes the image's own settings, one ENV line each in name order.
// Names are checked by the compiler; values are quoted.
func (f *text) env(at string, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		f.line("ENV " + k + "=" + f.word(at+".env."+k, env[k]))
	}
}

// user writes the numeric non-root user the container runs as. A number
// needs no /etc/passwd entry and lets Kubernetes verify runAsNonRoot.
func (f *text) user(uid int) {
	f.line(fmt.Sprintf("USER %d:%d", uid, uid))
}
