// Command dryrun checks pipec's output against a real Kubernetes API server.
// It builds (or takes from its cache) kube-apiserver, starts it on a
// throwaway etcd on 127.0.0.1, installs the CRDs of every custom kind pipec
// emits, and server-side dry-runs every rendered object, every KRM object
// and every full object among the targets' goldens. It exits 1 when the
// server rejects anything, 2 when it cannot run.
//
//	cd e2e/tools && go run ./cmd/dryrun -root ../..
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/pipec/pipec/e2e/tools/internal/cluster"
	"github.com/pipec/pipec/e2e/tools/internal/dryrun"
	"github.com/pipec/pipec/e2e/tools/internal/kubeapiserver"
	"github.com/pipec/pipec/e2e/tools/internal/manifest"
)

func main() { os.Exit(Main()) }

// Main runs the command with the process's arguments and returns its exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errRejected):
		return 1
	case errors.Is(err, errUsage):
		return 2
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "e2e: interrupted; etcd and kube-apiserver stopped")
		return 2
	default:
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 2
	}
}

var (
	// errRejected means the report has been printed and listed rejections.
	errRejected = errors.New("objects rejected")
	// errUsage means the flag package has already said what was wrong.
	errUsage = errors.New("usage")
)

type flags struct {
	root      string
	tools     string
	shared    string
	cache     string
	etcd      string
	apiserver string
	timeout   time.Duration
	buildOnly bool
	warnOK    bool
	verbose   bool
}

func (f *flags) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("dryrun", flag.ContinueOnError)
	fs.StringVar(&f.root, "root", "", "the pipec repository (default: the one holding the working directory)")
	fs.StringVar(&f.tools, "tools", "", "the e2e tools module, which pins kube-apiserver's version (default: ROOT/e2e/tools)")
	fs.StringVar(&f.shared, "shared", "", "the folder with kcc-crds/ and gitops-crds/ (default: ROOT/../shared)")
	fs.StringVar(&f.cache, "cache", os.Getenv("PIPEC_E2E_CACHE"), "where built kube-apiserver binaries are kept (default: $PIPEC_E2E_CACHE, else the user cache dir's pipec/e2e)")
	fs.StringVar(&f.etcd, "etcd", "", "the etcd binary (default: etcd on PATH, else /usr/bin/etcd)")
	fs.StringVar(&f.apiserver, "kube-apiserver", "", "run this kube-apiserver binary instead of building one")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long etcd, kube-apiserver and the CRDs each may take to become ready")
	fs.BoolVar(&f.buildOnly, "build-only", false, "build or find kube-apiserver in the cache, then stop")
	fs.BoolVar(&f.warnOK, "allow-warnings", false, "report the server's warnings (deprecated APIs, Pod Security violations) without failing")
	fs.BoolVar(&f.verbose, "v", false, "list every object and every skipped document")
	return fs
}

func (f *flags) complete() error {
	if f.root == "" {
		root, err := findRoot()
		if err != nil {
			return err
		}
		f.root = root
	}
	root, err := filepath.Abs(f.root)
	if err != nil {
		return err
	}
	f.root = root
	if f.tools == "" {
		f.tools = filepath.Join(f.root, "e2e", "tools")
	}
	if f.shared == "" {
		f.shared = filepath.Join(filepath.Dir(f.root), "shared")
	}
	if f.cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache directory: %v; pass -cache or set PIPEC_E2E_CACHE", err)
		}
		f.cache = filepath.Join(dir, "pipec", "e2e")
	}
	if f.etcd == "" {
		f.etcd = "/usr/bin/etcd"
		if p, err := exec.LookPath("etcd"); err == nil {
			f.etcd = p
		}
	}
	return nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var f flags
	if err := f.flagSet().Parse(args); err != nil {
		return errUsage
	}
	if err := f.complete(); err != nil {
		return err
	}

	set, err := manifest.Collect(f.root, manifest.Sources)
	if err != nil {
		return err
	}

	bin := kubeapiserver.Binary{Path: f.apiserver}
	if f.apiserver == "" {
		bin, err = kubeapiserver.Ensure(ctx, kubeapiserver.Options{
			ModuleDir: f.tools,
			CacheDir:  f.cache,
			Log:       out,
		})
		if err != nil {
			return err
		}
		if bin.Built {
			fmt.Fprintf(out, "e2e: kube-apiserver %s built in %s: %s\n", bin.Version, bin.Took.Round(time.Second), bin.Path)
		} else {
			fmt.Fprintf(out, "e2e: kube-apiserver %s from the cache: %s\n", bin.Version, bin.Path)
		}
	} else {
		v, err := commandVersion(ctx, bin.Path)
		if err != nil {
			return fmt.Errorf("-kube-apiserver %s: %v", bin.Path, err)
		}
		bin.Version = strings.TrimPrefix(v, "Kubernetes ")
	}
	if f.buildOnly {
		return nil
	}

	etcdVersion, err := commandVersion(ctx, f.etcd)
	if err != nil {
		return fmt.Errorf("etcd: %v; install Debian's etcd-server (apt-get install -y etcd-server) or pass -etcd", err)
	}

	crds, skipReason, err := readCRDs(f.root, f.shared, out)
	if err != nil {
		return err
	}

	start := time.Now()
	c, err := cluster.Start(ctx, cluster.Options{KubeAPIServer: bin.Path, Etcd: f.etcd, Timeout: f.timeout})
	if err != nil {
		return err
	}
	defer c.Stop()
	fmt.Fprintf(out, "e2e: %s and kube-apiserver %s ready on %s in %s\n", etcdVersion, bin.Version, c.Host, time.Since(start).Round(100*time.Millisecond))

	client, err := dryrun.New(c.RESTConfig())
	if err != nil {
		return err
	}
	start = time.Now()
	if err := client.InstallCRDs(ctx, crds, f.timeout); err != nil {
		return err
	}
	fmt.Fprintf(out, "e2e: %d CRDs established in %s\n", len(crds), time.Since(start).Round(100*time.Millisecond))

	rep, err := client.Run(ctx, set.All(), dryrun.Options{UnservedSkip: skipReason})
	if err != nil {
		return err
	}
	return report(out, f, set, rep)
}

// readCRDs reads the CRDs under the shared folder. A missing folder is not an
// error: the objects of its kinds are then skipped, and the returned reason
// says why.
func readCRDs(root, shared string, out io.Writer) ([]manifest.Object, string, error) {
	var crds []manifest.Object
	var missing []string
	for _, dir := range []struct{ name, kinds string }{
		{"kcc-crds", "Config Connector"},
		{"gitops-crds", "External Secrets, Argo CD and Flux"},
	} {
		path := filepath.Join(shared, dir.name)
		display := path
		if rel, err := filepath.Rel(root, path); err == nil {
			display = rel
		}
		files, err := filepath.Glob(filepath.Join(path, "*.yaml"))
		if err != nil {
			return nil, "", err
		}
		if len(files) == 0 {
			fmt.Fprintf(out, "e2e: skip: no CRDs in %s: objects of %s kinds are not checked\n", display, dir.kinds)
			missing = append(missing, display)
			continue
		}
		for _, file := range files {
			objs, err := manifest.ReadFile(file, filepath.Join(display, filepath.Base(file)))
			if err != nil {
				return nil, "", err
			}
			crds = append(crds, objs...)
		}
	}
	reason := ""
	if len(missing) > 0 {
		reason = "its CRD may be in " + strings.Join(missing, " or ") + ", which is absent"
	}
	return crds, reason, nil
}

func report(out io.Writer, f flags, set manifest.Set, rep dryrun.Report) error {
	if len(rep.Namespaces) > 0 {
		fmt.Fprintf(out, "e2e: namespaces created: %s\n", strings.Join(rep.Namespaces, ", "))
	}
	var per []string
	for _, src := range manifest.Sources {
		per = append(per, fmt.Sprintf("%s %d", src.Name, len(set.Objects[src.Name])))
	}
	fmt.Fprintf(out, "e2e: objects found: %s; golden documents that are not full objects: %d\n", strings.Join(per, ", "), len(set.Skipped))
	if f.verbose {
		for _, s := range set.Skipped {
			fmt.Fprintf(out, "  not an object: %s: %s\n", s.File, s.Reason)
		}
	}
	var rejected, warned []dryrun.Result
	for _, r := range rep.Results {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(out, "skipped %s: %s\n", r.Object.Where(), r.Skipped)
		case r.Rejected != "":
			rejected = append(rejected, r)
		default:
			if len(r.Warnings) > 0 {
				warned = append(warned, r)
			}
			if f.verbose {
				fmt.Fprintf(out, "  accepted %s\n", r.Object.Where())
			}
		}
	}
	for _, r := range warned {
		for _, w := range r.Warnings {
			fmt.Fprintf(out, "warning %s: %s\n", r.Object.Where(), indent(w))
		}
	}
	for _, r := range rejected {
		fmt.Fprintf(out, "rejected %s: %s\n", r.Object.Where(), indent(r.Rejected))
	}
	checked, nRejected, skipped := rep.Counts()
	summary := fmt.Sprintf("objects dry-run: %d, rejected: %d", checked, nRejected)
	if skipped > 0 {
		summary += fmt.Sprintf(", skipped: %d", skipped)
	}
	if len(warned) > 0 {
		summary += fmt.Sprintf(", with warnings: %d", len(warned))
	}
	fmt.Fprintln(out, summary)
	switch {
	case nRejected > 0:
		return errRejected
	case len(warned) > 0 && !f.warnOK:
		// A warning is a defect in output that machines apply: a deprecated
		// API goes away, a Pod Security violation leaves the Deployment
		// accepted but its pods refused.
		fmt.Fprintln(out, "e2e: server warnings fail the run; -allow-warnings reports them only")
		return errRejected
	}
	return nil
}

// indent keeps a multi-line server message under its object.
func indent(msg string) string {
	return strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", "\n    ")
}

// commandVersion returns the first line of `path --version`.
func commandVersion(ctx context.Context, path string) (string, error) {
	b, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.Replace(line, " Version:", "", 1), nil
}

// findRoot returns the nearest directory, from the working directory up,
// whose go.mod declares pipec's module.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(b) == "github.com/pipec/pipec" {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the pipec repository; pass -root")
		}
		dir = parent
	}
}
