//go:build !windows

// Command run is pipec's benchmark harness. For each N it writes N
// synthetic pipelines (package synth, as bench/gen does), then measures, in
// one run and on the same inputs, the wall time, CPU time and peak RSS of
// pipec vet, pipec build (cold, no-op, and cold on one core), cue vet,
// cue export and kubectl kustomize over the overlays pipec generated, and
// how long writing the cold build's files takes by itself (bench/floor). It
// prints the medians and writes them to bench/RESULTS.md, with the goals of
// issue 7 judged, and plots them into bench/results.png.
//
//	go run ./bench/run                  # N = 1, 10, 100, 1000: about 25 minutes on 2 cores
//	go run ./bench/run -n 1,10,100      # about 10 minutes; the goals stated for N = 1000 are not judged
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pipec/pipec/bench/synth"
)

// The measures, as the report names them.
const (
	pipecVet     = "pipec vet"
	pipecBuild   = "pipec build, cold"
	pipecNoop    = "pipec build, no-op"
	pipecCheck   = "pipec build --check, cold cache"
	pipecSerial  = "pipec build, cold, GOMAXPROCS=1"
	pipecMem     = "pipec build, cold, into memory"
	pipecMemSer  = "pipec build, cold, GOMAXPROCS=1, into memory"
	cueVet       = "cue vet"
	cueExport    = "cue export"
	kustomizeAll = "kubectl kustomize, every overlay"
	writeFloor   = "writing the cold build's files alone"
)

// config is what the flags select.
type config struct {
	sizes     []int
	runs      int
	serialMax int
	root      string // the repository
	work      string // generated trees and build outputs
	bin       string // bench-local binaries: pipec, cue
	out       string // where RESULTS.md and results.png go
}

func main() { os.Exit(Main()) }

// Main runs the harness and returns the process's exit code.
func Main() int {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench/run: %v\n", err)
		return 2
	}
	if err := runAll(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench/run: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags() (*config, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cfg := &config{root: root}
	sizes := flag.String("n", "1,10,100,1000", "comma-separated numbers of pipelines to measure")
	flag.IntVar(&cfg.runs, "runs", 0, "runs per measure, medians reported; 0 means 5 (kubectl kustomize 3 times above N = 10, once above N = 100)")
	flag.IntVar(&cfg.serialMax, "serial-max", 1000, "measure the GOMAXPROCS=1 build only up to this N (it only serves the speedup figure)")
	flag.StringVar(&cfg.work, "work", filepath.Join(os.TempDir(), "pipec-bench"), "directory for the generated pipelines and outputs; emptied first")
	flag.StringVar(&cfg.bin, "bin", filepath.Join(root, "bench", ".bin"), "directory for the pipec and cue binaries")
	flag.StringVar(&cfg.out, "o", filepath.Join(root, "bench"), "directory RESULTS.md and results.png are written to")
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: %q is not a positive number", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	slices.Sort(cfg.sizes)
	cfg.sizes = slices.Compact(cfg.sizes)
	return cfg, nil
}

// runsFor is how many runs measure each command at N = n. Five at every
// N: this VM's host slows down for minutes at a time, and with three runs
// two slow ones decide the median (run J at N = 1000: cue export took
// 4.64 and 5.68 s in two rounds, 3.91 s in the third).
func (c *config) runsFor(n int) int {
	if c.runs > 0 {
		return c.runs
	}
	return 5
}

// kustomizeRunsFor is how many runs measure kubectl kustomize: at
// N = 1000 one run is 3,000 processes and six minutes, at N = 100 forty
// seconds, and its figure only serves as a comparison, while the goals
// rest on pipec's.
func (c *config) kustomizeRunsFor(n int) int {
	switch {
	case c.runs > 0:
		return c.runs
	case n > 100:
		return 1
	case n > 10:
		return 3
	}
	return c.runsFor(n)
}

// key names one figure of the report.
type key struct {
	n    int
	name string
}

// report is everything a run found.
type report struct {
	cfg        *config
	tools      *tools
	stats      map[key]stats
	names      []string // the measures taken, in the order they ran
	files      map[int]int
	overlays   map[int]int
	start, end time.Time
	loadBefore string
	loadAfter  string
	// cachesDropped is set when the kernel's caches were dropped before
	// each N was measured.
	cachesDropped bool
}

func runAll(cfg *config) error {
	t, err := setup(cfg.root, cfg.bin)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(cfg.work); err != nil {
		return err
	}
	// The last run's inputs are tens of thousands of files: the file
	// system frees them after RemoveAll returns, and that work slowed the
	// first builds measured (N = 100 cold 1.5-2.2 s against 1.1-1.3 s).
	syscall.Sync()
	r := &report{cfg: cfg, tools: t, stats: map[key]stats{}, files: map[int]int{}, overlays: map[int]int{},
		start: time.Now(), loadBefore: loadAverage()}
	for _, n := range cfg.sizes {
		if err := r.measureSize(n); err != nil {
			return err
		}
	}
	r.end, r.loadAfter = time.Now(), loadAverage()
	if err := r.removeOutputs(); err != nil {
		return err
	}
	text := r.markdown()
	fmt.Print(text)
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "RESULTS.md"), []byte(text), 0o644); err != nil {
		return err
	}
	png := filepath.Join(cfg.out, "results.png")
	if t.gnuplot != "" {
		if err := r.plot(png); err != nil {
			return err
		}
	} else if err := os.Remove(png); err == nil {
		// A plot of an earlier run next to these figures would mislead.
		progress("removed %s, which showed an earlier run", png)
	}
	progress("wrote %s", filepath.Join(cfg.out, "RESULTS.md"))
	return nil
}

// measureSize generates N pipelines and takes every measure on them,
// interleaved run by run so that a slow moment of the machine does not
// fall on one tool only.
func (r *report) measureSize(n int) error {
	dir := filepath.Join(r.cfg.work, fmt.Sprintf("n%d", n))
	progress("N=%d: writing the pipelines into %s", n, dir)
	if err := synth.Write(dir, n); err != nil {
		return err
	}
	s := &size{t: r.tools, n: n, dir: dir}
	// The no-op build and the check run right after the cold build, over
	// the output it left, before another measure drops the caches.
	measures := []step{
		{pipecVet, s.vet, false},
		{pipecBuild, s.build, true},
		{pipecNoop, s.rebuild, false},
		{pipecCheck, s.check, false},
		{writeFloor, s.floor, true},
		{cueVet, s.cueVet, false},
		{cueExport, s.cueExport, false},
	}
	if n <= r.cfg.serialMax {
		measures = append(measures, step{pipecSerial, s.buildSerial, true})
		if r.tools.memDir != "" {
			s.mem = filepath.Join(r.tools.memDir, fmt.Sprintf("pipec-bench-n%d", n))
			measures = append(measures, step{pipecMem, s.buildInMemory, true}, step{pipecMemSer, s.buildSerialInMemory, true})
		}
	}
	if r.tools.kubectl != "" {
		measures = append(measures, step{kustomizeAll, s.kustomize, false})
	}
	samples := map[string][]sample{}
	runs := r.cfg.runsFor(n)
	for i := range runs {
		for _, m := range measures {
			if m.name == kustomizeAll && i >= r.cfg.kustomizeRunsFor(n) {
				continue
			}
			if m.name == pipecVet || m.writes {
				// Every tree-writing measure, and each run, starts from
				// the same kernel state: the trees written before,
				// moved aside, would otherwise fill the inode caches.
				r.cachesDropped = dropCaches()
				if err := s.warmUp(); err != nil {
					return err
				}
			}
			got, err := m.run()
			if err != nil {
				return fmt.Errorf("N=%d, %s: %w", n, m.name, err)
			}
			progress("N=%d run %d/%d: %-34s %9s wall %9s CPU %7s", n, i+1, runs, m.name,
				seconds(got.wall), seconds(got.cpu), megabytes(got.rss))
			samples[m.name] = append(samples[m.name], got)
		}
	}
	for _, m := range measures {
		r.stats[key{n, m.name}] = median(samples[m.name])
		if !slices.Contains(r.names, m.name) {
			r.names = append(r.names, m.name)
		}
	}
	var err error
	if r.files[n], err = countFiles(s.out()); err != nil {
		return err
	}
	r.overlays[n] = len(s.overlays)
	return nil
}

// dropCaches writes dirty data out and asks the kernel to drop its page,
// dentry and inode caches, and reports whether it could (it takes root).
// Creating files got slower as the caches filled with the inodes of
// earlier runs' trees: bench/floor took 2.0 s for N = 100 after a day of
// runs and 0.5-0.7 s once the caches were dropped. Dropping them before
// each run starts every run from the same state, whatever ran before;
// warmUp then reads the inputs and the binaries back for every tool alike.
func dropCaches() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0) == nil
}

// removeOutputs deletes what the builds of every N wrote, once all is
// measured: deleting them between two N slowed the first build of the
// next N. The outputs of N=1000 are a hundred thousand files: only the
// inputs, which are small, are kept for whoever wants to look.
func (r *report) removeOutputs() error {
	for _, n := range r.cfg.sizes {
		for _, d := range []string{"out", "trash", "cache"} {
			if err := os.RemoveAll(filepath.Join(r.cfg.work, fmt.Sprintf("n%d", n), d)); err != nil {
				return err
			}
		}
	}
	return nil
}

func countFiles(dir string) (int, error) {
	count := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			count++
		}
		return err
	})
	return count, err
}

// step is one measure: its name and how to take one sample of it.
// writes marks the measures that create a whole output tree: each starts
// from freshly dropped caches, since creating files slowed down as the
// caches filled with the trees created before it in the same run (the
// GOMAXPROCS=1 build, measured last, took 20.4 s there against 16-17 s
// on its own, which inflated the speedup).
type step struct {
	name   string
	run    func() (sample, error)
	writes bool
}

// size runs the commands under test on the pipelines of one N: pipec's
// input in dir/pipelines, cue's in dir/cue, build outputs in dir/out.
type size struct {
	t        *tools
	n        int
	dir      string
	overlays []string // the overlays the last cold build wrote
	trashed  int      // how many directories cold moved aside
	mem      string   // where the builds into memory write, on a tmpfs
}

func (s *size) out() string { return filepath.Join(s.dir, "out", "cold") }

// pipec runs pipec in dir with a cache directory of its own (the build
// cache and the build lock), so a cold build can start from an empty cache
// and no build sees the user's.
func (s *size) pipec(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(s.t.pipec, args...)
	cmd.Dir = s.dir
	cache := filepath.Join(s.dir, "cache")
	cmd.Env = append(cleanEnv(), "XDG_CACHE_HOME="+cache, "PIPEC_CACHE="+filepath.Join(cache, "pipec", "build"))
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// cleanEnv is the harness's environment without what would change the
// measures: a GOMAXPROCS, or a pipec cache shared with other builds.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOMAXPROCS=") || strings.HasPrefix(kv, "PIPEC_CACHE=")
	})
}

// warmUp checks, untimed, that pipec and cue accept the pipelines without
// a word, and leaves both trees in the page cache for every tool alike.
func (s *size) warmUp() error {
	for _, cmd := range []*exec.Cmd{s.pipec(nil, "vet", "./pipelines/..."), s.cue("vet", "./pipelines/...")} {
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			return fmt.Errorf("%s (in %s) does not pass cleanly; bench/synth must write valid pipelines: %v\n%s",
				strings.Join(cmd.Args, " "), cmd.Dir, err, tail(string(out), 2000))
		}
	}
	return nil
}

func (s *size) vet() (sample, error) {
	return measure(s.pipec(nil, "vet", "./pipelines/..."))
}

// cold removes an output directory and pipec's cache, untimed, and
// builds into it.
func (s *size) cold(out string, env []string) (sample, error) {
	// The last output and caches are moved aside, not deleted: deleting
	// a tree of many thousand files leaves the file system work to do
	// (freeing inodes and blocks, committing the journal) long after
	// the deletion returns, and that work slowed the build measured next
	// by up to a third. They are deleted once every N is measured.
	for _, d := range []string{out, filepath.Join(s.dir, "cache")} {
		s.trashed++
		err := os.Rename(d, filepath.Join(s.trash(), strconv.Itoa(s.trashed)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return sample{}, err
		}
	}
	syscall.Sync()
	return measure(s.pipec(env, "build", "-o", out, "./pipelines/..."))
}

// trash is where cold moves the outputs and caches of earlier runs.
func (s *size) trash() string {
	dir := filepath.Join(s.dir, "trash")
	os.MkdirAll(dir, 0o755)
	return dir
}

func (s *size) build() (sample, error) {
	got, err := s.cold(s.out(), nil)
	if err != nil {
		return got, err
	}
	s.overlays, err = filepath.Glob(filepath.Join(s.out(), "*", "k8s", "overlays", "*"))
	if err == nil && len(s.overlays) != s.n*len(synth.Envs) {
		err = fmt.Errorf("%s holds %d overlays, want %d", s.out(), len(s.overlays), s.n*len(synth.Envs))
	}
	return got, err
}

// rebuild builds again over the output of the last cold build, with
// nothing changed.
func (s *size) rebuild() (sample, error) {
	return measure(s.pipec(nil, "build", "-o", s.out(), "./pipelines/..."))
}

// floor writes the files of the last cold build again with bench/floor,
// which does nothing else: the part of a cold build's wall time that
// depends only on how many files it writes and on the file system.
// check is what CI runs on a fresh clone: the output is in place and up
// to date (as committed, and just checked out, so in the page cache),
// pipec's cache is empty, and nothing is written. It fails if the
// check finds any difference.
func (s *size) check() (sample, error) {
	s.trashed++
	err := os.Rename(filepath.Join(s.dir, "cache"), filepath.Join(s.trash(), strconv.Itoa(s.trashed)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return sample{}, err
	}
	return measure(s.pipec(nil, "build", "--check", "-o", s.out(), "./pipelines/..."))
}

func (s *size) floor() (sample, error) {
	out := filepath.Join(s.dir, "out", "floor")
	s.trashed++
	if err := os.Rename(out, filepath.Join(s.trash(), strconv.Itoa(s.trashed))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return sample{}, err
	}
	syscall.Sync()
	cmd := exec.Command(s.t.floor, s.out(), out)
	cmd.Env = cleanEnv()
	b, err := cmd.Output()
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	var got struct {
		Wall, CPU time.Duration
	}
	if err := json.Unmarshal(b, &got); err != nil {
		return sample{}, fmt.Errorf("bench/floor printed %q: %w", b, err)
	}
	return sample{wall: got.Wall, cpu: got.CPU}, nil
}

func (s *size) buildSerial() (sample, error) {
	return s.cold(filepath.Join(s.dir, "out", "serial"), []string{"GOMAXPROCS=1"})
}

// buildInMemory and buildSerialInMemory are the cold builds of the
// speedup figure, with their output and cache on a tmpfs: the same work
// without the disk's file system, whose own threads (writeback, freeing
// inodes) use the second core while the GOMAXPROCS=1 build leaves it idle,
// and so count against the two-core build only. The two sides of that
// figure tell pipec's use of the cores from the file system's.
func (s *size) buildInMemory() (sample, error) { return s.coldInMemory(nil) }

func (s *size) buildSerialInMemory() (sample, error) {
	return s.coldInMemory([]string{"GOMAXPROCS=1"})
}

func (s *size) coldInMemory(env []string) (sample, error) {
	// Deleting in memory leaves no work behind, unlike on disk (cold).
	if err := os.RemoveAll(s.mem); err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(s.mem)
	cache := filepath.Join(s.mem, "cache")
	env = append(env, "XDG_CACHE_HOME="+cache, "PIPEC_CACHE="+filepath.Join(cache, "pipec", "build"))
	return measure(s.pipec(env, "build", "-o", filepath.Join(s.mem, "out"), "./pipelines/..."))
}

func (s *size) cue(args ...string) *exec.Cmd {
	cmd := exec.Command(s.t.cue, args...)
	cmd.Dir = filepath.Join(s.dir, "cue")
	cmd.Env = cleanEnv()
	return cmd
}

func (s *size) cueVet() (sample, error) { return measure(s.cue("vet", "./pipelines/...")) }

func (s *size) cueExport() (sample, error) { return measure(s.cue("export", "./pipelines/...")) }

// kustomize runs kubectl kustomize once per overlay of the last cold
// build, one after the other, and sums the runs.
func (s *size) kustomize() (sample, error) {
	var total sample
	for _, o := range s.overlays {
		cmd := exec.Command(s.t.kubectl, "kustomize", o)
		cmd.Env = cleanEnv()
		got, err := measure(cmd)
		if err != nil {
			return total, err
		}
		total = total.add(got)
	}
	return total, nil
}
