package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/schema"
)

func newVetCmd(g *globals) *cobra.Command {
	var env string
	diag := &diagFlags{}
	cmd := &cobra.Command{
		Use:   "vet [PATH...]",
		Short: "Check pipeline specs and report every error",
		Long: `vet validates pipelines against the schema and the rules of the systems they
deploy to (names, ranges, references, secrets) and prints every error as
file:line:col: path: message. It writes nothing.

PATH is a pipeline directory, a dir/... pattern, or a file in a pipeline
directory (what a pre-commit hook passes). The default is ./... .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := diag.validate(); err != nil {
				return usageError(cmd, err)
			}
			// vet needs only the findings: each model is dropped as soon
			// as its pipeline has been checked.
			dropModel := func(*schema.Spec, compiler.Diagnostics) error { return nil }
			res, err := compiler.Compile(cmd.Context(), args, compiler.Options{Env: env, OnSpec: dropModel})
			if err != nil {
				return err
			}
			if diag.report(cmd.OutOrStdout(), cmd.ErrOrStderr(), res.Diagnostics) {
				return exitError{ExitFindings}
			}
			if g.verbose {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d pipelines ok\n", res.Compiled)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "check only this environment")
	diag.add(cmd)
	return cmd
}
