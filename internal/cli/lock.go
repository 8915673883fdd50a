package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/lock"
	"github.com/pipec/pipec/lock/resolve"
	"github.com/pipec/pipec/schema"
)

type lockFlags struct {
	diag     diagFlags
	set      []string
	check    bool
	timeout  time.Duration
	insecure bool
	mirrors  []string
}

func newLockCmd(g *globals) *cobra.Command {
	f := &lockFlags{}
	cmd := &cobra.Command{
		Use:   "lock [PATH...]",
		Short: "Pin every image the pipelines use to a digest in pipec.lock",
		Long: `lock writes pipec.lock beside each pipeline's spec: every image the pipeline
uses, pinned to a digest. pipec build reads it and writes images by digest,
so what runs is exactly what was reviewed, and build never touches the
network.

Without flags, lock resolves the base images of the generated Dockerfiles
in their registries (for a multi-platform image, the digest of its index)
and keeps the pins of the pipeline's own images. Those are recorded after
CI pushes them, with --set NAME=REF@sha256:DIGEST, NAME being an image of
the pipeline and REF the repository it was pushed to, which says the
environment; --set NAME=REF:TAG pins what that tag points to now.

With --check nothing is written: lock exits 1 when a base image's tag now
points elsewhere, an image is not pinned, or a pin is no longer used.

Credentials come from Docker's config (docker login, credential helpers)
and, for gcr.io and *-docker.pkg.dev, from gcloud or application default
credentials. A lock that fails leaves every pipec.lock as it was.

Exit codes: 0 ok; 1 an invalid spec, or with --check a lock out of date;
2 an image that could not be resolved, a usage error, or with --check an
invalid spec.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLock(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	f.diag.add(cmd)
	fl.StringArrayVar(&f.set, "set", nil, "pin an image the pipeline builds, after CI pushed it to REF (`NAME=REF@sha256:DIGEST`, or NAME=REF:TAG to resolve the tag); repeatable")
	fl.BoolVar(&f.check, "check", false, "write nothing; exit 1 if a tag moved, an image is not pinned or a pin is unused")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up on registries after this long")
	fl.BoolVar(&f.insecure, "insecure", false, "allow registries that speak plain HTTP (loopback and private addresses always may)")
	fl.StringArrayVar(&f.mirrors, "mirror", nil, "resolve a registry's images through a mirror (`REGISTRY=MIRROR`, e.g. docker.io=mirror.gcr.io); repeatable")
	return cmd
}

func runLock(cmd *cobra.Command, g *globals, f *lockFlags, args []string) error {
	stderr := cmd.ErrOrStderr()
	if err := f.diag.validate(); err != nil {
		return usageError(cmd, err)
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "pipec lock: "+format+"\n", a...)
		return exitError{ExitError}
	}
	if f.check && len(f.set) > 0 {
		return usage("--check and --set do not go together: --set writes the lock, --check only reads it")
	}
	if f.timeout <= 0 {
		return usage("--timeout must be positive")
	}
	opts := []resolve.Option{resolve.WithTimeout(min(f.timeout, 30*time.Second))}
	var nameOpts []name.Option
	if f.insecure {
		opts = append(opts, resolve.WithInsecure())
		nameOpts = append(nameOpts, name.Insecure)
	}
	for _, m := range f.mirrors {
		reg, mirror, ok := strings.Cut(m, "=")
		if _, err := name.NewRepository(mirror+"/library/image", nameOpts...); !ok || reg == "" || err != nil {
			return usage("--mirror %s: write REGISTRY=MIRROR, e.g. docker.io=mirror.gcr.io", m)
		}
		opts = append(opts, resolve.WithMirror(reg, mirror))
	}
	var sets []lock.Assignment
	for _, s := range f.set {
		a, err := lock.ParseAssignment(s, nameOpts...)
		if err != nil {
			return usage("%v", err)
		}
		sets = append(sets, a)
	}

	res, err := compiler.Compile(cmd.Context(), args, compiler.Options{AllowUnpinned: true})
	if err != nil {
		return err
	}
	if f.diag.report(cmd.OutOrStdout(), stderr, res.Diagnostics) {
		failed := exitError{ExitFindings}
		if f.check {
			failed = exitError{ExitError}
		}
		return failed
	}

	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	l := &locker{stderr: stderr, resolver: resolve.New(opts...), specs: res.Specs, verbose: g.verbose}
	switch {
	case len(sets) > 0:
		return l.set(ctx, sets)
	case f.check:
		return l.check(ctx)
	}
	return l.relock(ctx)
}

// locker runs one `pipec lock` over compiled pipelines.
type locker struct {
	stderr   io.Writer
	resolver *resolve.Resolver
	specs    []*schema.Spec
	verbose  bool
}

// resolveBases resolves every base image of the pipelines, or prints why
// it could not at each spec value that uses one.
func (l *locker) resolveBases(ctx context.Context) (map[string]string, bool) {
	digests, errs := l.resolver.Resolve(ctx, lock.BaseRefs(l.specs))
	if len(errs) == 0 {
		return digests, true
	}
	// In the order of the specs' uses (pipelines, then images, by name),
	// once per spec value.
	printed := map[string]bool{}
	for _, spec := range l.specs {
		for _, u := range spec.Uses {
			err, ok := errs[u.Ref]
			line := lock.Finding{Pos: u.Pos, Path: u.Path, Message: fmt.Sprint(err)}.String()
			if ok && !printed[line] {
				printed[line] = true
				fmt.Fprintln(l.stderr, line)
			}
		}
	}
	return nil, false
}

func (l *locker) relock(ctx context.Context) error {
	digests, ok := l.resolveBases(ctx)
	if !ok {
		fmt.Fprintln(l.stderr, "pipec lock: no lock file was changed")
		return exitError{ExitError}
	}
	updates := map[*schema.Spec]map[string]string{}
	for _, spec := range l.specs {
		updates[spec] = lock.Update(spec, digests)
	}
	return l.write(updates)
}

func (l *locker) set(ctx context.Context, sets []lock.Assignment) error {
	var matches [][]lock.Match
	var toResolve []string
	for _, a := range sets {
		m, err := lock.Matches(l.specs, a)
		if err != nil {
			fmt.Fprintf(l.stderr, "pipec lock: %v\n", err)
			return exitError{ExitError}
		}
		matches = append(matches, m)
		if a.Digest() == "" {
			toResolve = append(toResolve, a.Ref.String())
		}
	}
	digests, errs := l.resolver.Resolve(ctx, toResolve)
	for _, ref := range slices.Sorted(maps.Keys(errs)) {
		fmt.Fprintf(l.stderr, "pipec lock: --set: %v\n", errs[ref])
	}
	if len(errs) > 0 {
		fmt.Fprintln(l.stderr, "pipec lock: no lock file was changed")
		return exitError{ExitError}
	}
	updates := map[*schema.Spec]map[string]string{}
	for i, a := range sets {
		digest := a.Digest()
		if digest == "" {
			digest = digests[a.Ref.String()]
		}
		for _, m := range matches[i] {
			pins, ok := updates[m.Spec]
			if !ok {
				pins = maps.Clone(m.Spec.Pins)
				updates[m.Spec] = pins
			}
			pins[m.Ref] = digest
		}
	}
	return l.write(updates)
}

// write writes the lock of each updated spec, skipping a pipeline that
// pins nothing and has no lock yet. Locks are written once every one has
// been computed, so a failure before leaves them all as they were.
func (l *locker) write(updates map[*schema.Spec]map[string]string) error {
	for _, spec := range l.specs {
		pins, ok := updates[spec]
		if !ok {
			continue
		}
		file := filepath.Join(spec.SourceDir, lock.FileName)
		if _, err := os.Stat(file); len(pins) == 0 && os.IsNotExist(err) {
			continue
		}
		if err := lock.Write(file, pins); err != nil {
			return fmt.Errorf("writing %s: %w", relPath(file), err)
		}
		if l.verbose {
			changed := 0
			for ref, d := range pins {
				if spec.Pins[ref] != d {
					changed++
				}
			}
			for ref := range spec.Pins {
				if _, ok := pins[ref]; !ok {
					changed++
				}
			}
			fmt.Fprintf(l.stderr, "%s: %d pinned, %d changed\n", relPath(file), len(pins), changed)
		}
	}
	return nil
}

func (l *locker) check(ctx context.Context) error {
	digests, ok := l.resolveBases(ctx)
	if !ok {
		return exitError{ExitError}
	}
	stale := false
	for _, spec := range l.specs {
		file := relPath(filepath.Join(spec.SourceDir, lock.FileName))
		findings := lock.Check(spec, digests, file)
		for _, f := range findings {
			fmt.Fprintln(l.stderr, f)
		}
		if len(findings) > 0 {
			stale = true
			fmt.Fprintf(l.stderr, "%s is out of date: run 'pipec lock' (and 'pipec lock --set' for images CI pushed), then commit it\n", file)
		}
	}
	if stale {
		return exitError{ExitFindings}
	}
	return nil
}

// relPath is path relative to the working directory when under it, as
// the user would type it.
func relPath(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}
