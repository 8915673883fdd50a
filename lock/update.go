package lock

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pipec/pipec/schema"
)

// Resolver reads the digest each reference points to now.
type Resolver interface {
	// Resolve returns the digest of every reference it resolved, and for
	// each of the others an error that names the reference and registry
	// and says what to do.
	Resolve(ctx context.Context, refs []string) (digests map[string]string, errs map[string]error)
}

// BaseRefs lists, once each and sorted, the base images the specs build
// from: what `pipec lock` resolves.
func BaseRefs(specs []*schema.Spec) []string {
	var refs []string
	for _, spec := range specs {
		for _, u := range spec.Uses {
			if !u.Built() {
				refs = append(refs, u.Ref)
			}
		}
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// Update returns the pins `pipec lock` writes for spec: each base image at
// the digest resolved now, each built image as the lock already pins it
// (its digest is what CI pushed, recorded with Set, never whatever its tag
// points to today), and nothing the spec no longer uses. resolved must
// hold every base image of the spec.
func Update(spec *schema.Spec, resolved map[string]string) map[string]string {
	pins := map[string]string{}
	for _, u := range spec.Uses {
		switch d, ok := spec.Pins[u.Ref]; {
		case !u.Built():
			pins[u.Ref] = resolved[u.Ref]
		case ok:
			pins[u.Ref] = d
		}
	}
	return pins
}

// Finding is a way a lock no longer matches the spec or the registries.
type Finding struct {
	// Pos and Path locate the spec value concerned ("file:line:col" and
	// "images.collector.python"); for a pin nothing uses, Pos is the lock
	// file and Path is empty.
	Pos, Path string
	Message   string
}

// String is the finding as one line: position, path and message.
func (f Finding) String() string {
	if f.Path == "" {
		return f.Pos + ": " + f.Message
	}
	return f.Pos + ": " + f.Path + ": " + f.Message
}

// Check compares spec's lock with the base-image digests resolved now: a
// base image whose tag moved, an image the lock does not pin and a pin
// nothing uses are findings. lockFile names the lock in findings.
func Check(spec *schema.Spec, resolved map[string]string, lockFile string) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, u := range spec.Uses {
		if seen[u.Ref] {
			continue
		}
		seen[u.Ref] = true
		locked, ok := spec.Pins[u.Ref]
		switch {
		case !ok && u.Built():
			out = append(out, Finding{u.Pos, u.Path, fmt.Sprintf(
				"image %s of environment %s is not pinned: after CI pushes it, run 'pipec lock --set %s=%s@sha256:...'",
				u.Image, u.Env, u.Image, repository(u.Ref))})
		case !ok:
			out = append(out, Finding{u.Pos, u.Path, fmt.Sprintf("base image %s is not pinned: run 'pipec lock'", u.Ref)})
		case !u.Built() && resolved[u.Ref] != locked:
			out = append(out, Finding{u.Pos, u.Path, fmt.Sprintf(
				"base image %s now points to %s, not the locked %s: run 'pipec lock' to take it", u.Ref, resolved[u.Ref], locked)})
		}
	}
	for _, ref := range slices.Sorted(maps.Keys(spec.Pins)) {
		if !seen[ref] {
			out = append(out, Finding{Pos: lockFile, Message: fmt.Sprintf("%s is pinned but the pipeline no longer uses it: run 'pipec lock' to drop it", ref)})
		}
	}
	return out
}

// repository strips the tag from a reference pipec wrote by tag.
func repository(ref string) string {
	if r, err := name.NewTag(ref); err == nil {
		return strings.TrimSuffix(ref, ":"+r.TagStr())
	}
	return ref
}

// Assignment is one `--set NAME=REF`: image NAME of a pipeline, pushed to
// REF. REF carries the digest to pin, or a tag to resolve.
type Assignment struct {
	Image string
	Ref   name.Reference
}

// ParseAssignment reads NAME=REF. opts are those references are parsed
// with (name.Insecure for plain-HTTP registries).
func ParseAssignment(s string, opts ...name.Option) (Assignment, error) {
	image, ref, ok := strings.Cut(s, "=")
	if !ok || image == "" || ref == "" {
		return Assignment{}, fmt.Errorf("--set %s: write NAME=REF@sha256:DIGEST, NAME being an image of the pipeline", s)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return Assignment{}, fmt.Errorf("--set %s: %q is not an image reference (%v): write REGISTRY/REPOSITORY@sha256:DIGEST", s, ref, err)
	}
	if d, ok := r.(name.Digest); ok && !ValidDigest(d.DigestStr()) {
		return Assignment{}, fmt.Errorf("--set %s: %q is not a sha256 digest", s, d.DigestStr())
	}
	return Assignment{Image: image, Ref: r}, nil
}

// Digest is the digest the assignment names, or "" when its reference is
// a tag that must be resolved first.
func (a Assignment) Digest() string {
	if d, ok := a.Ref.(name.Digest); ok {
		return d.DigestStr()
	}
	return ""
}

// Match is a pin an assignment sets: the key Ref in the lock of Spec.
type Match struct {
	Spec *schema.Spec
	Env  string
	Ref  string
}

// Matches finds what an assignment pins: image a.Image in every
// environment, of every spec, that pushes it to a.Ref's repository. A
// pipeline pushes an image to one repository per environment (the
// registry names the project), so the repository is what says which
// environment a digest belongs to.
func Matches(specs []*schema.Spec, a Assignment) ([]Match, error) {
	want := a.Ref.Context().Name()
	var matches []Match
	var elsewhere []string
	for _, spec := range specs {
		for _, env := range spec.Envs {
			img, ok := env.Images[a.Image]
			if !ok {
				continue
			}
			repo, err := name.NewRepository(img.Repository)
			if err == nil && repo.Name() == want {
				matches = append(matches, Match{Spec: spec, Env: env.Env, Ref: img.Repository + ":" + img.Tag})
				continue
			}
			elsewhere = append(elsewhere, fmt.Sprintf("%s (pipeline %s, environment %s)", img.Repository, spec.Name, env.Env))
		}
	}
	switch {
	case len(matches) > 0:
		return matches, nil
	case len(elsewhere) == 0:
		return nil, fmt.Errorf("--set %s=%s: no pipeline here has an image named %q", a.Image, a.Ref, a.Image)
	}
	return nil, fmt.Errorf("--set %s=%s: no environment pushes image %s to %s; it is pushed to %s: pass the repository the digest was pushed to",
		a.Image, a.Ref, a.Image, a.Ref.Context().Name(), strings.Join(elsewhere, ", "))
}
