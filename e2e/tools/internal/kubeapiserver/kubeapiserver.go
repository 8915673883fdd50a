// Package kubeapiserver builds kube-apiserver from the k8s.io/kubernetes
// module that the e2e tools module requires, and caches the binary under a
// key made of everything that goes into it, so a run rebuilds only when the
// version, the dependencies or the Go toolchain change.
package kubeapiserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

const (
	modulePath = "k8s.io/kubernetes"
	pkg        = modulePath + "/cmd/kube-apiserver"
	// recipe changes when the way the binary is built changes, to invalidate
	// binaries cached by an older driver.
	recipe = "1"
)

// Options say where the tools module is and where to keep the binary.
type Options struct {
	ModuleDir string    // the directory holding the tools module's go.mod
	CacheDir  string    // where binaries are kept between runs
	Go        string    // the go command; "go" when empty
	Log       io.Writer // where build progress goes
}

// Binary is a kube-apiserver ready to run.
type Binary struct {
	Path    string
	Version string        // the k8s.io/kubernetes module version
	Built   bool          // false when it came from the cache
	Took    time.Duration // how long the build took, when Built
}

// Ensure returns the cached kube-apiserver for the tools module, building it
// first when the cache has none for the current key.
func Ensure(ctx context.Context, opts Options) (Binary, error) {
	c, err := plan(ctx, opts)
	if err != nil {
		return Binary{}, err
	}
	if c.cached() {
		return c.bin, nil
	}
	return c.build(ctx, opts)
}

// Lookup returns the cached kube-apiserver for the tools module, and false
// when there is none yet.
func Lookup(ctx context.Context, opts Options) (Binary, bool, error) {
	c, err := plan(ctx, opts)
	if err != nil {
		return Binary{}, false, err
	}
	return c.bin, c.cached(), nil
}

// cacheEntry is where the binary for one key lives.
type cacheEntry struct {
	bin     Binary
	stamp   string // what the binary is built from, recorded beside it
	ldflags string
}

func plan(ctx context.Context, opts Options) (cacheEntry, error) {
	if opts.Go == "" {
		opts.Go = "go"
	}
	gomod, err := os.ReadFile(filepath.Join(opts.ModuleDir, "go.mod"))
	if err != nil {
		return cacheEntry{}, err
	}
	gosum, err := os.ReadFile(filepath.Join(opts.ModuleDir, "go.sum"))
	if err != nil {
		return cacheEntry{}, err
	}
	version, err := requiredVersion(gomod)
	if err != nil {
		return cacheEntry{}, err
	}
	toolchain, err := goEnv(ctx, opts, "GOVERSION", "GOOS", "GOARCH")
	if err != nil {
		return cacheEntry{}, err
	}
	ldflags := versionFlags(version)
	// A binary whose stamp differs from the current one is never used.
	stamp := fmt.Sprintf("%s %s\ntoolchain %s\nldflags %s\nrecipe %s\n",
		modulePath, version, strings.Join(toolchain, " "), ldflags, recipe)
	h := sha256.New()
	for _, b := range [][]byte{[]byte(stamp), gomod, gosum} {
		fmt.Fprintf(h, "%d\n", len(b))
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	dir := filepath.Join(opts.CacheDir, "kube-apiserver-"+version+"-"+key)
	return cacheEntry{
		bin:     Binary{Path: filepath.Join(dir, "kube-apiserver"), Version: version},
		stamp:   stamp,
		ldflags: ldflags,
	}, nil
}

func (c cacheEntry) stampPath() string { return filepath.Join(filepath.Dir(c.bin.Path), "STAMP") }

func (c cacheEntry) cached() bool {
	got, err := os.ReadFile(c.stampPath())
	if err != nil || string(got) != c.stamp {
		return false
	}
	_, err = os.Stat(c.bin.Path)
	return err == nil
}

func (c cacheEntry) build(ctx context.Context, opts Options) (Binary, error) {
	if opts.Go == "" {
		opts.Go = "go"
	}
	bin := c.bin
	dir := filepath.Dir(bin.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binary{}, err
	}
	fmt.Fprintf(opts.Log, "e2e: building kube-apiserver %s into %s (minutes on a cold Go build cache)\n", bin.Version, dir)
	tmp := fmt.Sprintf("%s.tmp-%d", bin.Path, os.Getpid())
	defer os.Remove(tmp)
	start := time.Now()
	cmd := exec.CommandContext(ctx, opts.Go, "build", "-ldflags", c.ldflags, "-o", tmp, pkg)
	cmd.Dir = opts.ModuleDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Binary{}, fmt.Errorf("building %s %s in %s: %v\n%s", pkg, bin.Version, opts.ModuleDir, err, out.Bytes())
	}
	bin.Took = time.Since(start)
	bin.Built = true
	// Rename first and stamp second: a crash in between leaves a binary
	// without a stamp, which the next run rebuilds.
	if err := os.Rename(tmp, bin.Path); err != nil {
		return Binary{}, err
	}
	if err := os.WriteFile(c.stampPath(), []byte(c.stamp), 0o644); err != nil {
		return Binary{}, err
	}
	return bin, nil
}

// requiredVersion reads the k8s.io/kubernetes version from a go.mod.
func requiredVersion(gomod []byte) (string, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Require {
		if r.Mod.Path == modulePath {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("go.mod does not require %s", modulePath)
}

// versionFlags stamp the version the way Kubernetes' release build does, so
// /version and the compatibility checks see v1.x.y rather than v0.0.0-master.
func versionFlags(version string) string {
	major, minor := "", ""
	if parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	var flags []string
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags,
			"-X "+p+".gitVersion="+version,
			"-X "+p+".gitMajor="+major,
			"-X "+p+".gitMinor="+minor,
			"-X "+p+".gitTreeState=clean",
		)
	}
	return "-s -w " + strings.Join(flags, " ")
}

func goEnv(ctx context.Context, opts Options, vars ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, opts.Go, append([]string{"env"}, vars...)...)
	cmd.Dir = opts.ModuleDir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %v", err)
	}
	return strings.Fields(string(out)), nil
}
