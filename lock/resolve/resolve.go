// Package resolve reads from container registries the digest an image
// reference points to now, with go-containerregistry. It is the only part
// of pipec that talks to registries, and only `pipec lock` uses it.
//
// A tag that names a multi-platform image resolves to the digest of its
// index, so a pin keeps every platform. Resolutions run concurrently up to
// a bound; each request has its own timeout and is retried with backoff
// when the registry is unreachable, slow or briefly failing, never when it
// answered that the tag is unknown or access is denied.
package resolve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/google"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type options struct {
	timeout     time.Duration
	attempts    int
	backoff     time.Duration
	concurrency int
	keychain    authn.Keychain
	transport   http.RoundTripper
	insecure    bool
	mirrors     map[string]string
}

// Option configures a Resolver, the way crane's options do.
type Option func(*options)

// WithTimeout bounds each request to a registry (default 30s). The whole
// resolution is bounded by the context given to Resolve.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithAttempts sets how many times a request is tried before giving up on
// a registry that is unreachable, slow or failing (default 3).
func WithAttempts(n int) Option { return func(o *options) { o.attempts = max(n, 1) } }

// WithBackoff sets the wait before the first retry; it doubles for each
// retry after that, with jitter (default 500ms).
func WithBackoff(d time.Duration) Option { return func(o *options) { o.backoff = d } }

// WithConcurrency bounds how many references are resolved at once
// (default 8).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = max(n, 1) } }

// WithKeychain sets where credentials come from. The default reads Docker's
// config (docker login, credential helpers) and then Google's application
// default credentials or gcloud for gcr.io and *-docker.pkg.dev.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithTransport sets the HTTP transport, e.g. an httptest server's.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithInsecure lets registries speak plain HTTP. Registries on loopback
// and private addresses already may; this is for others, such as a CI
// service container named "registry:5000".
func WithInsecure() Option { return func(o *options) { o.insecure = true } }

// WithMirror resolves references to registry (such as "docker.io")
// through mirror, a registry host with an optional path prefix (such as
// "mirror.gcr.io" or "europe-docker.pkg.dev/my-project/dockerhub"). A
// digest is the hash of the manifest, so a faithful mirror gives the same
// digest; the reference pinned stays the original one.
func WithMirror(registry, mirror string) Option {
	return func(o *options) {
		if o.mirrors == nil {
			o.mirrors = map[string]string{}
		}
		o.mirrors[registryName(registry)] = strings.TrimSuffix(mirror, "/")
	}
}

// registryName normalizes a registry as go-containerregistry does, so
// that "docker.io" matches the "index.docker.io" of "python:3.12".
func registryName(s string) string {
	if r, err := name.NewRegistry(s); err == nil {
		return r.RegistryStr()
	}
	return s
}

// Resolver reads digests from registries. It is safe for concurrent use.
type Resolver struct{ o options }

// New returns a Resolver with opts applied over the defaults.
func New(opts ...Option) *Resolver {
	o := options{
		timeout:     30 * time.Second,
		attempts:    3,
		backoff:     500 * time.Millisecond,
		concurrency: 8,
		keychain:    authn.NewMultiKeychain(authn.DefaultKeychain, google.Keychain),
		transport:   remote.DefaultTransport,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Resolver{o: o}
}

// parse parses a reference, letting it speak plain HTTP if so configured.
func (r *Resolver) parse(ref string) (name.Reference, error) {
	if r.o.insecure {
		return name.ParseReference(ref, name.Insecure)
	}
	return name.ParseReference(ref)
}

// Resolve returns the digest ("sha256:...") each reference points to now,
// and an *Error for each one it could not resolve. It returns when every
// reference is resolved or has failed; once ctx is done, the references
// still pending fail at once.
func (r *Resolver) Resolve(ctx context.Context, refs []string) (map[string]string, map[string]error) {
	var mu sync.Mutex
	digests, errs := map[string]string{}, map[string]error{}
	sem := make(chan struct{}, r.o.concurrency)
	var wg sync.WaitGroup
	for _, ref := range slices.Compact(slices.Sorted(slices.Values(refs))) {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			d, err := r.resolve(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[ref] = err
			} else {
				digests[ref] = d
			}
		})
	}
	wg.Wait()
	return digests, errs
}

// resolve resolves one reference, retrying what may pass.
func (r *Resolver) resolve(ctx context.Context, ref string) (string, error) {
	parsed, err := r.parse(ref)
	if err != nil {
		return "", &Error{Ref: ref, Kind: Malformed, Err: err}
	}
	if d, ok := parsed.(name.Digest); ok {
		// Already pinned: there is nothing to ask.
		return d.DigestStr(), nil
	}
	target, err := r.mirrored(parsed)
	if err != nil {
		return "", &Error{Ref: ref, Kind: Malformed, Err: fmt.Errorf("through its mirror: %w", err)}
	}
	e := &Error{Ref: ref, Registry: target.Context().RegistryStr(), Repository: target.Context().RepositoryStr(), Tag: target.Identifier()}
	if target != parsed {
		e.Mirrors = parsed.Context().RegistryStr()
	}
	start := time.Now()
	wait := r.o.backoff
	for {
		e.Attempts++
		rctx, cancel := context.WithTimeout(ctx, r.o.timeout)
		d, err := r.digest(rctx, target)
		cancel()
		if err == nil {
			return d, nil
		}
		e.Err, e.Kind = err, classify(err)
		if !e.Kind.retryable() || e.Attempts >= r.o.attempts || ctx.Err() != nil {
			e.Elapsed = time.Since(start)
			return "", e
		}
		// Jitter keeps the references of one struggling registry from
		// retrying in step.
		select {
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		case <-ctx.Done():
			e.Elapsed = time.Since(start)
			return "", e
		}
		wait *= 2
	}
}

// mirrored is ref on the mirror of its registry, if one is set.
func (r *Resolver) mirrored(ref name.Reference) (name.Reference, error) {
	mirror, ok := r.o.mirrors[ref.Context().RegistryStr()]
	if !ok {
		return ref, nil
	}
	return r.parse(mirror + "/" + ref.Context().RepositoryStr() + ":" + ref.Identifier())
}

// digest asks the registry once. HEAD is cheap and, unlike GET, does not
// count against Docker Hub's pull limit; a registry that does not answer
// HEAD with a digest is asked with GET.
func (r *Resolver) digest(ctx context.Context, ref name.Reference) (string, error) {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(r.o.keychain),
		remote.WithTransport(r.o.transport),
		// Retries are this package's, bounded by its timeouts:
		// go-containerregistry's own would sleep through a cancellation.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	}
	desc, err := remote.Head(ref, opts...)
	if err == nil {
		return desc.Digest.String(), nil
	}
	if classify(err) != Failed {
		return "", err
	}
	got, err := remote.Get(ref, opts...)
	if err != nil {
		return "", err
	}
	return got.Digest.String(), nil
}
