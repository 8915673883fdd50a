// Package registrytest runs a real registry server for end-to-end tests:
// Debian's docker-registry package (CNCF distribution 2.8) on 127.0.0.1,
// with filesystem storage in a temporary directory, and optionally htpasswd
// basic auth. Tests that use it skip, saying what to install, where the
// binary is absent.
package registrytest

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// Registry is a running registry server.
type Registry struct {
	// Host is its address, 127.0.0.1:PORT.
	Host string
	// Auth is what it requires: basic credentials, or authn.Anonymous.
	Auth authn.Authenticator
}

type config struct{ user, password string }

// Option configures the server Start runs.
type Option func(*config)

// WithBasicAuth makes the registry require user and password, checked
// against an htpasswd file as distribution does it.
func WithBasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.password = user, password }
}

// listening is how distribution logs the address it serves on: asking for
// port 0 and reading it back leaves no window for another process to take
// a port chosen beforehand.
var listening = regexp.MustCompile(`msg="listening on ([^"]+)"`)

// Start runs a registry for the test's duration, or skips the test when
// docker-registry is not installed.
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry is not installed; to run the end-to-end tests against a real registry: apt-get install docker-registry")
	}
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: pipec-registrytest
`, filepath.Join(dir, "data"))
	reg := &Registry{Auth: authn.Anonymous}
	if c.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(c.password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(c.user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: pipec-registrytest\n    path: %s\n", htpasswd)
		reg.Auth = &authn.Basic{Username: c.user, Password: c.password}
	}
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "serve", cfgFile)
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	// Read the log to the end, so the server never blocks on it, keeping
	// it for the failure message.
	var mu sync.Mutex
	var log strings.Builder
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("docker-registry: "+format+"\n%s", append(args, log.String())...)
	}
	select {
	case reg.Host = <-addr:
	case <-time.After(10 * time.Second):
		fail("did not say where it listens within 10s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+reg.Host+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return reg
			}
		}
		select {
		case <-ctx.Done():
			fail("not ready within 10s: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Push writes an image or an index to repo:tag on the registry (repo
// without the host) and returns its digest.
func (r *Registry) Push(t testing.TB, repoTag string, image any) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(r.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	var digest v1.Hash
	switch img := image.(type) {
	case v1.Image:
		err = remote.Write(ref, img, remote.WithAuth(r.Auth))
		if err == nil {
			digest, err = img.Digest()
		}
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, img, remote.WithAuth(r.Auth))
		if err == nil {
			digest, err = img.Digest()
		}
	default:
		err = fmt.Errorf("cannot push a %T", image)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return digest
}

// DockerConfig writes a Docker config.json holding the registry's
// credentials into a new directory and returns it, for DOCKER_CONFIG: the
// way `docker login` would leave them for pipec's default keychain.
func (r *Registry) DockerConfig(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	auths := "{}"
	if b, ok := r.Auth.(*authn.Basic); ok {
		auths = fmt.Sprintf(`{%q: {"auth": %q}}`, r.Host, base64.StdEncoding.EncodeToString([]byte(b.Username+":"+b.Password)))
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths": `+auths+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Down returns the address of a registry that is down: nothing listens
// there, so connections are refused.
func Down(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Hanging returns the address of a registry that hangs: it accepts
// connections and never answers.
func Hanging(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
