package resolve

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pipec/pipec/lock/registrytest"
)

// anonymous keeps the machine's Docker config out of the tests.
var anonymous = WithKeychain(authn.NewMultiKeychain())

// serve starts an in-process registry, wrapped by wrap if not nil, and
// returns its host:port.
func serve(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func push(t *testing.T, ref string, what any, opts ...remote.Option) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	switch w := what.(type) {
	case v1.Image:
		err = remote.Write(r, w, opts...)
	case v1.ImageIndex:
		err = remote.WriteIndex(r, w, opts...)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := what.(interface{ Digest() (v1.Hash, error) }).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func randomIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	idx, err := random.Index(256, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// failure resolves one reference that must fail, and returns its error.
func failure(t *testing.T, r *Resolver, ctx context.Context, ref string) *Error {
	t.Helper()
	digests, errs := r.Resolve(ctx, []string{ref})
	var e *Error
	if !errors.As(errs[ref], &e) {
		t.Fatalf("resolved %s to %v, errors %v; want an *Error", ref, digests, errs)
	}
	return e
}

func TestResolvesImagesAndIndexes(t *testing.T) {
	host := serve(t, nil)
	single := push(t, host+"/p/single:v1", randomImage(t))
	multi := push(t, host+"/p/multi:v1", randomIndex(t))

	digests, errs := New(anonymous).Resolve(context.Background(), []string{host + "/p/single:v1", host + "/p/multi:v1", host + "/p/single:v1"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := digests[host+"/p/single:v1"]; got != single.String() {
		t.Errorf("single-platform image: %s, want %s", got, single)
	}
	// A multi-platform tag pins the index, so every platform stays pinned.
	if got := digests[host+"/p/multi:v1"]; got != multi.String() {
		t.Errorf("multi-platform image: %s, want the index digest %s", got, multi)
	}
	if len(digests) != 2 {
		t.Errorf("duplicates resolved separately: %v", digests)
	}
}

func TestUnknownTagIsNotRetried(t *testing.T) {
	var heads atomic.Int32
	host := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				heads.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	push(t, host+"/p/app:v1", randomImage(t))
	heads.Store(0)
	e := failure(t, New(anonymous, WithBackoff(time.Millisecond)), context.Background(), host+"/p/app:v2")
	if e.Kind != NotFound {
		t.Fatalf("kind %v, want NotFound: %v", e.Kind, e)
	}
	want := host + `/p/app:v2: registry ` + host + ` has no tag "v2" in repository p/app: check the tag, or push the image first`
	if e.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", e, want)
	}
	if n := heads.Load(); n != 1 {
		t.Errorf("%d manifest requests for a tag that does not exist", n)
	}
}

func TestMalformedReference(t *testing.T) {
	e := failure(t, New(anonymous), context.Background(), "Registry.example/UPPER:tag")
	if e.Kind != Malformed || !strings.Contains(e.Error(), "Registry.example/UPPER:tag: not a valid image reference") {
		t.Errorf("%v: %v", e.Kind, e)
	}
}

// basicAuth answers 401 to any request without the right credentials, as
// distribution does with htpasswd.
func basicAuth(user, password string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestUnauthorized(t *testing.T) {
	host := serve(t, basicAuth("ci", "s3cret"))
	good := &authn.Basic{Username: "ci", Password: "s3cret"}
	d := push(t, host+"/p/app:v1", randomImage(t), remote.WithAuth(good))

	e := failure(t, New(anonymous), context.Background(), host+"/p/app:v1")
	if e.Kind != Unauthorized || e.Attempts != 1 {
		t.Fatalf("kind %v after %d attempts, want Unauthorized after 1: %v", e.Kind, e.Attempts, e)
	}
	for _, want := range []string{"registry " + host + " denied access to p/app", "docker login " + host} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("%q does not say %q", e, want)
		}
	}

	bad := WithKeychain(staticKeychain{&authn.Basic{Username: "ci", Password: "wrong"}})
	if e := failure(t, New(bad), context.Background(), host+"/p/app:v1"); e.Kind != Unauthorized {
		t.Errorf("wrong password: %v: %v", e.Kind, e)
	}

	digests, errs := New(WithKeychain(staticKeychain{good})).Resolve(context.Background(), []string{host + "/p/app:v1"})
	if len(errs) > 0 || digests[host+"/p/app:v1"] != d.String() {
		t.Errorf("with credentials: %v, %v", digests, errs)
	}
}

type staticKeychain struct{ authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return k.Authenticator, nil
}

func TestRetriesAFailingRegistry(t *testing.T) {
	var failures atomic.Int32
	host := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && failures.Add(-1) >= 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := push(t, host+"/p/app:v1", randomImage(t))
	failures.Store(2)
	digests, errs := New(anonymous, WithBackoff(time.Millisecond)).Resolve(context.Background(), []string{host + "/p/app:v1"})
	if len(errs) > 0 || digests[host+"/p/app:v1"] != d.String() {
		t.Fatalf("%v, %v", digests, errs)
	}

	failures.Store(1000)
	e := failure(t, New(anonymous, WithBackoff(time.Millisecond), WithAttempts(4)), context.Background(), host+"/p/app:v1")
	if e.Kind != Unavailable || e.Attempts != 4 || !strings.Contains(e.Error(), "HTTP 503") {
		t.Errorf("%v after %d attempts: %v", e.Kind, e.Attempts, e)
	}
}

func TestRegistryDown(t *testing.T) {
	host := registrytest.Down(t)
	start := time.Now()
	e := failure(t, New(anonymous, WithBackoff(10*time.Millisecond)), context.Background(), host+"/p/app:v1")
	if e.Kind != Unreachable || e.Attempts != 3 {
		t.Fatalf("%v after %d attempts: %v", e.Kind, e.Attempts, e)
	}
	if !strings.Contains(e.Error(), "registry "+host+" is unreachable (connection refused; 3 attempts in ") {
		t.Errorf("message: %v", e)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestRegistryHanging(t *testing.T) {
	host := registrytest.Hanging(t)

	// Each request is cut at its timeout, then retried.
	start := time.Now()
	e := failure(t, New(anonymous, WithTimeout(200*time.Millisecond), WithBackoff(10*time.Millisecond)), context.Background(), host+"/p/app:v1")
	took := time.Since(start)
	if e.Kind != Slow || e.Attempts != 3 {
		t.Fatalf("%v after %d attempts: %v", e.Kind, e.Attempts, e)
	}
	if !strings.Contains(e.Error(), "registry "+host+" did not answer in time (3 attempts in ") {
		t.Errorf("message: %v", e)
	}
	if took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %s, want about 3 × 200ms", took)
	}

	// The caller's deadline bounds the whole resolution, retries included.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	refs := []string{host + "/p/a:v1", host + "/p/b:v1", host + "/p/c:v1"}
	_, errs := New(anonymous, WithConcurrency(1)).Resolve(ctx, refs)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s past a 300ms deadline", took)
	}
	for _, ref := range refs {
		var e *Error
		if !errors.As(errs[ref], &e) || e.Kind != Slow {
			t.Errorf("%s: %v", ref, errs[ref])
		}
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak atomic.Int32
	host := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(20 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	})
	var refs []string
	for _, tag := range []string{"a", "b", "c", "d", "e", "f"} {
		push(t, host+"/p/app:"+tag, randomImage(t))
		refs = append(refs, host+"/p/app:"+tag)
	}
	peak.Store(0)
	if _, errs := New(anonymous, WithConcurrency(2)).Resolve(context.Background(), refs); len(errs) > 0 {
		t.Fatal(errs)
	}
	if p := peak.Load(); p > 2 || p == 0 {
		t.Errorf("%d requests in flight at once, want at most 2", p)
	}
}

func TestMirror(t *testing.T) {
	host := serve(t, nil)
	d := push(t, host+"/hub/library/python:3.12-slim-bookworm", randomIndex(t))
	r := New(anonymous, WithMirror("docker.io", host+"/hub"))
	digests, errs := r.Resolve(context.Background(), []string{"python:3.12-slim-bookworm"})
	if len(errs) > 0 || digests["python:3.12-slim-bookworm"] != d.String() {
		t.Fatalf("%v, %v", digests, errs)
	}
	e := failure(t, r, context.Background(), "python:3.99")
	if !strings.Contains(e.Error(), "registry "+host+" (mirror of index.docker.io) has no tag") {
		t.Errorf("message: %v", e)
	}
}

// TestHeadWithoutDigest pins the fallback to GET for registries whose HEAD
// answers carry no Docker-Content-Digest.
func TestHeadWithoutDigest(t *testing.T) {
	var pushed atomic.Bool
	host := serve(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if pushed.Load() && r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := push(t, host+"/p/app:v1", randomIndex(t))
	pushed.Store(true)
	digests, errs := New(anonymous).Resolve(context.Background(), []string{host + "/p/app:v1"})
	if len(errs) > 0 || digests[host+"/p/app:v1"] != d.String() {
		t.Fatalf("%v, %v", digests, errs)
	}
}

// TestDistribution resolves against a real registry, distribution 2.8,
// without auth and with htpasswd basic auth, reading credentials the way
// `docker login` leaves them.
func TestDistribution(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []registrytest.Option
	}{
		{"anonymous", nil},
		{"htpasswd", []registrytest.Option{registrytest.WithBasicAuth("ci", "s3cret")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.Start(t, tc.opts...)
			single := reg.Push(t, "p/single:v1", randomImage(t))
			multi := reg.Push(t, "p/multi:v1", randomIndex(t))
			t.Setenv("HOME", t.TempDir())
			t.Setenv("DOCKER_CONFIG", reg.DockerConfig(t))

			r := New(WithBackoff(time.Millisecond))
			refs := []string{reg.Host + "/p/single:v1", reg.Host + "/p/multi:v1"}
			digests, errs := r.Resolve(context.Background(), refs)
			if len(errs) > 0 || digests[refs[0]] != single.String() || digests[refs[1]] != multi.String() {
				t.Fatalf("%v, %v; want %s and the index %s", digests, errs, single, multi)
			}
			if e := failure(t, r, context.Background(), reg.Host+"/p/single:v2"); e.Kind != NotFound {
				t.Errorf("unknown tag: %v: %v", e.Kind, e)
			}
			if tc.opts != nil {
				if e := failure(t, New(anonymous), context.Background(), refs[0]); e.Kind != Unauthorized {
					t.Errorf("without credentials: %v: %v", e.Kind, e)
				}
			}
		})
	}
}
