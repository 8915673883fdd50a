package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/devenv"
	"github.com/pipec/pipec/schema"
)

type devFlags struct {
	env      string
	emulator string
	start    bool
}

func newDevCmd() *cobra.Command {
	dev := &cobra.Command{
		Use:   "dev",
		Short: "Run a pipeline locally",
	}
	f := &devFlags{}
	up := &cobra.Command{
		Use:   "up [PATH] [--env dev] [--emulator HOST:PORT] [--start]",
		Short: "Create a pipeline's topics and subscriptions on the Pub/Sub emulator",
		Long: `up creates one environment's topics and subscriptions on a running Pub/Sub
emulator (PUBSUB_EMULATOR_HOST, or --emulator; --start launches one), then
prints, on stdout, the environment to export to run a service against it:

  eval "$(pipec dev up ./pipelines/shop)"

The emulator delivers only by pull: push, BigQuery and Cloud Storage
subscriptions become pull subscriptions of the same name. What exists
already is left alone, so running it again changes nothing. Secrets are
never printed: set them yourself.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDevUp(cmd, f, args)
		},
	}
	fl := up.Flags()
	fl.StringVar(&f.env, "env", "dev", "environment whose topics and subscriptions to create")
	fl.StringVar(&f.emulator, "emulator", "", "the emulator's HOST:PORT (default $PUBSUB_EMULATOR_HOST)")
	fl.BoolVar(&f.start, "start", false, "start the emulator with gcloud (on --emulator's address, or a free port)")
	dev.AddCommand(up)
	return dev
}

func runDevUp(cmd *cobra.Command, f *devFlags, args []string) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	host := f.emulator
	if host == "" && !f.start {
		host = os.Getenv("PUBSUB_EMULATOR_HOST")
		if host == "" {
			return usageError(cmd, fmt.Errorf("no emulator: set PUBSUB_EMULATOR_HOST, pass --emulator HOST:PORT, or --start one"))
		}
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	res, err := compiler.Compile(ctx, args, compiler.Options{Env: f.env})
	if err != nil {
		return err
	}
	if res.Diagnostics.HasErrors() {
		printErrors(stderr, res.Diagnostics, "")
		return exitError{ExitFindings}
	}
	if len(res.Specs) != 1 {
		return usageError(cmd, fmt.Errorf("%d pipelines found: dev up takes one pipeline directory", len(res.Specs)))
	}
	var p *schema.Pipeline
	for _, e := range res.Specs[0].Envs {
		if e.Env == f.env {
			p = e
		}
	}
	if p == nil {
		return usageError(cmd, fmt.Errorf("pipeline %s has no environment %q", res.Specs[0].Name, f.env))
	}
	if f.start {
		s, err := devenv.Start(ctx, host, p.Project)
		if err != nil {
			return err
		}
		host = s.Host
		fmt.Fprintf(stderr, "started the Pub/Sub emulator on %s (log: %s); stop it with: kill -- -%d\n", s.Host, s.Log, s.PID)
	}
	em := &devenv.Emulator{Host: host}
	if err := em.Up(ctx, p, stderr); err != nil {
		return err
	}
	devenv.Exports(cmd.OutOrStdout(), host, p)
	return nil
}
