//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// tools are the programs under test and what the report says about them
// and the machine.
type tools struct {
	pipec, floor, cue, kubectl, gnuplot string // kubectl and gnuplot are empty when not installed

	pipecVersion, goVersion, cueVersion, kubectlVersion string
	cpus                                                int
	memory                                              string
	memDir                                              string // a tmpfs for the builds into memory; "" when there is none
}

// setup builds pipec from the working tree and installs the cue CLI of the
// cuelang.org/go version in go.mod into bin, once per version.
func setup(root, bin string) (*tools, error) {
	t := &tools{
		pipec:     filepath.Join(bin, "pipec"),
		floor:     filepath.Join(bin, "floor"),
		cue:       filepath.Join(bin, "cue"),
		goVersion: runtime.Version(),
		cpus:      runtime.NumCPU(),
		memory:    memTotal(),
		memDir:    memDir(),
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	progress("building %s", t.pipec)
	if _, err := output(root, nil, "go", "build", "-o", t.pipec, "./cmd/pipec"); err != nil {
		return nil, err
	}
	if _, err := output(root, nil, "go", "build", "-o", t.floor, "./bench/floor"); err != nil {
		return nil, err
	}
	t.pipecVersion = gitDescription(root)

	version, err := output(root, nil, "go", "list", "-m", "-f", "{{.Version}}", "cuelang.org/go")
	if err != nil {
		return nil, err
	}
	t.cueVersion = strings.TrimSpace(version)
	if have, _ := output(root, nil, t.cue, "version"); !strings.Contains(have, "cue version "+t.cueVersion+"\n") {
		progress("installing cue %s into %s", t.cueVersion, bin)
		if _, err := output(root, []string{"GOBIN=" + bin}, "go", "install", "cuelang.org/go/cmd/cue@"+t.cueVersion); err != nil {
			return nil, err
		}
	}

	if t.kubectl, err = exec.LookPath("kubectl"); err == nil {
		v, _ := output(root, nil, t.kubectl, "version", "--client")
		t.kubectlVersion = strings.Join(strings.Split(strings.TrimSpace(v), "\n"), ", ")
	} else {
		progress("kubectl not found: kustomize is not measured")
	}
	if t.gnuplot, err = exec.LookPath("gnuplot"); err != nil {
		progress("gnuplot not found: no plot (apt-get install gnuplot-nox)")
	}
	return t, nil
}

// output runs a command for its output, failing with its stderr.
func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return string(out), nil
}

// gitDescription names the commit pipec was built from, and says whether
// the working tree differed from it.
func gitDescription(root string) string {
	rev, err := output(root, nil, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown commit"
	}
	desc := "commit " + strings.TrimSpace(rev)
	if st, err := output(root, nil, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		desc += " with uncommitted changes"
	}
	return desc
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var kb int64
		if _, err := fmt.Sscanf(s.Text(), "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

// loadAverage is the one-minute load average, or "" where there is none.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// repoRoot finds the repository's root: the nearest directory above the
// working directory whose go.mod declares pipec's module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/pipec/pipec\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside pipec's repository: run from its root, e.g. make bench")
		}
		dir = parent
	}
}

var started = time.Now()

// progress says what the harness is doing, on stderr, with the time spent.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}
