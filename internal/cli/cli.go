// Package cli is pipec's command tree. It only wires flags to the compiler,
// the targets and the writer; everything it does lives in those packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	ExitOK       = 0 // success, or no drift
	ExitFindings = 1 // an invalid spec, or drift under --check
	ExitError    = 2 // a usage or internal error
)

// exitError carries an exit code whose message, if any, was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs pipec with os.Args and returns the process exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs pipec with args, writing to the given streams.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{}
	root := newRoot(g, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	g.stopProfiles(stderr)
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case strings.HasPrefix(err.Error(), "unknown command"):
		fmt.Fprintf(stderr, "pipec: %v\nRun 'pipec -h' for the list of commands.\n", err)
		return ExitError
	default:
		fmt.Fprintf(stderr, "pipec: %v\n", err)
		return ExitError
	}
}

// usageError reports a flag value that cannot work, the way pflag reports
// an unknown flag.
func usageError(c *cobra.Command, err error) error {
	fmt.Fprintf(c.ErrOrStderr(), "pipec %s: %v\nRun 'pipec %s -h' for usage.\n", c.Name(), err, c.Name())
	return exitError{ExitError}
}

// globals are the flags every command shares.
type globals struct {
	verbose    bool
	cpuProfile string
	memProfile string
	trace      string
	stopCPU    func()
	stopTrace  func()
}

// startProfiles begins the CPU profile and the execution trace, before
// the command does any work.
func (g *globals) startProfiles() error {
	var err error
	if g.stopTrace, err = startWriting(g.trace, trace.Start, trace.Stop); err != nil {
		return err
	}
	g.stopCPU, err = startWriting(g.cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	return err
}

// startWriting creates the file name, unless name is empty, and starts
// writing to it; the function it returns stops and closes it.
func startWriting(name string, start func(io.Writer) error, stop func()) (func(), error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { stop(); f.Close() }, nil
}

// stopProfiles ends the CPU profile and writes the heap profile, after the
// command finished, whatever its outcome.
func (g *globals) stopProfiles(stderr io.Writer) {
	if g.stopCPU != nil {
		g.stopCPU()
	}
	if g.stopTrace != nil {
		g.stopTrace()
	}
	if g.memProfile == "" {
		return
	}
	f, err := os.Create(g.memProfile)
	if err == nil {
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "pipec: --memprofile: %v\n", err)
	}
}

func newRoot(g *globals, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pipec",
		Short: "Compile declarative data pipelines into GitOps-ready files",
		Long: `pipec compiles pipelines written in CUE (images, services, Pub/Sub, BigQuery,
Airflow DAGs, environments) into Dockerfiles, Kubernetes manifests and
Google Cloud configs that GitOps tools apply.

Exit codes: 0 ok, 1 findings (invalid spec, drift), 2 usage or internal error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "say what was done, not only what went wrong")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` (go tool pprof reads it)")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write a heap profile to `FILE` when the command ends")
	root.PersistentFlags().StringVar(&g.trace, "trace", "", "write an execution trace to `FILE` (go tool trace reads it): where cores wait")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return g.startProfiles() }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fmt.Fprintf(stderr, "pipec %s: %v\nRun 'pipec %s -h' for usage.\n", c.Name(), err, c.Name())
		return exitError{ExitError}
	})
	root.AddCommand(
		newVetCmd(g),
		newBuildCmd(g),
		newLockCmd(g),
		newSchemaCmd(),
		newInitCmd(g),
		newVersionCmd(),
		newDiffCmd(),
		newDevCmd(),
		newGraphCmd(g),
	)
	return root
}
