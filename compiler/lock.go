package compiler

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pipec/pipec/lock"
	"github.com/pipec/pipec/schema"
)

// lockImages records on the spec every image reference the pipeline needs
// pinned, where the spec asks for it, and the pins of the pipec.lock beside
// the spec; it pins each built image the lock pins. With enforce, an
// environment that sets requireDigests makes each unpinned image an error
// that says how to pin it. The lock is read here, not by a target, so that
// every target sees the same pins and vet reports a broken lock.
func lockImages(r *reporter, spec *schema.Spec, user cue.Value, enforce bool) {
	if r.diags.HasErrors() {
		return
	}
	u := &checker{v: user}
	where := func(elems ...any) (token.Pos, schema.ImageUse) {
		pos, path := u.at(elems...)
		use := schema.ImageUse{Path: path}
		if pos.IsValid() {
			use.Pos = fmt.Sprintf("%s:%d:%d", r.relFile(pos.Filename()), pos.Line(), pos.Column())
		}
		return pos, use
	}
	add := func(pos token.Pos, use schema.ImageUse) {
		if _, err := name.ParseReference(use.Ref); err != nil {
			r.at(CodeLock, pos, use.Path, "%q is not a valid image reference: check registry and images.%s.tag", use.Ref, use.Image)
			return
		}
		spec.Uses = append(spec.Uses, use)
	}
	if len(spec.Envs) > 0 {
		// Images are the same in every environment (checkAcrossEnvs), and
		// so are their Dockerfiles' bases.
		images := spec.Envs[0].Images
		for _, n := range slices.Sorted(maps.Keys(images)) {
			pos, use := where("images", n, images[n].Runtime())
			for _, ref := range images[n].BaseImages() {
				use.Ref, use.Image = ref, n
				add(pos, use)
			}
		}
	}
	for _, env := range spec.Envs {
		for _, n := range slices.Sorted(maps.Keys(env.Images)) {
			pos, use := where("images", n)
			use.Ref, use.Image, use.Env = env.Images[n].Ref, n, env.Env
			add(pos, use)
		}
	}
	if r.diags.HasErrors() {
		return
	}

	file := filepath.Join(spec.SourceDir, lock.FileName)
	pins, err := lock.Read(file)
	var syntax *lock.SyntaxError
	switch {
	case errors.As(err, &syntax):
		r.diags = append(r.diags, Diagnostic{File: r.relFile(syntax.File), Line: syntax.Line, Column: syntax.Column,
			Message: syntax.Msg, Severity: Error, Code: CodeLock})
		return
	case err != nil:
		r.at(CodeLock, token.NoPos, "", "%s: %v", r.relFile(file), err)
		return
	}
	spec.Pins = pins

	for _, env := range spec.Envs {
		for _, img := range env.Images {
			if d, ok := pins[img.Ref]; ok {
				img.Digest, img.Ref = d, img.Repository+"@"+d
			}
		}
	}
	if enforce {
		requireDigests(r, spec, user)
	}
}

// requireDigests reports each image that an environment setting
// requireDigests would run, or build from, by tag.
func requireDigests(r *reporter, spec *schema.Spec, user cue.Value) {
	u := &checker{v: user}
	var strict []string
	for _, env := range spec.Envs {
		if !env.RequireDigests {
			continue
		}
		strict = append(strict, fmt.Sprintf("%q", env.Env))
		for _, n := range slices.Sorted(maps.Keys(env.Images)) {
			if img := env.Images[n]; img.Digest == "" {
				pos, path := u.at("images", n)
				r.at(CodeUnpinned, pos, path, "image %s is not pinned in environment %q, which sets requireDigests: after CI pushes it, run 'pipec lock --set %s=%s@sha256:...'",
					n, env.Env, n, img.Repository)
			}
		}
	}
	if len(strict) == 0 {
		return
	}
	// A Dockerfile serves every environment, so one environment that
	// requires digests requires the bases pinned.
	who := "environment " + strict[0] + " sets"
	if len(strict) > 1 {
		who = "environments " + strings.Join(strict, ", ") + " set"
	}
	for _, use := range spec.Uses {
		if _, ok := spec.Pins[use.Ref]; !ok && !use.Built() {
			pos, path := u.at("images", use.Image, spec.Envs[0].Images[use.Image].Runtime())
			r.at(CodeUnpinned, pos, path, "base image %s is not pinned and %s requireDigests: run 'pipec lock'", use.Ref, who)
		}
	}
}
