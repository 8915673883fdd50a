package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/graph"
)

func newGraphCmd(g *globals) *cobra.Command {
	var format, env string
	cmd := &cobra.Command{
		Use:   "graph [PATH] [--format mermaid|dot] [--env ENV]",
		Short: "Draw a pipeline's dataflow as a Mermaid or DOT graph",
		Long: `graph prints the pipeline as a directed graph: images run services and DAG
tasks, services publish to topics, topics feed subscriptions, subscriptions
deliver to services, tables and buckets, and tasks depend on each other and
read and write tables. Dead-letter flows are dashed.

--format mermaid (the default) prints a flowchart GitHub renders inside a
` + "```mermaid" + ` block; --format dot prints Graphviz (pipec graph --format dot |
dot -Tsvg > pipeline.svg). The graph is of one environment: --env, or the
first one by name. A PATH that holds several pipelines prints one graph
after the other. The output is deterministic, fit to commit.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "mermaid" && format != "dot" {
				return usageError(cmd, fmt.Errorf("--format %q: want mermaid or dot", format))
			}
			res, err := compiler.Compile(cmd.Context(), args, compiler.Options{Env: env})
			if err != nil {
				return err
			}
			// Findings go to stderr as vet prints them, so stdout stays a
			// graph that can be piped into a renderer.
			if (&diagFlags{format: "text"}).report(cmd.OutOrStdout(), cmd.ErrOrStderr(), res.Diagnostics) {
				return exitError{ExitFindings}
			}
			for i, spec := range res.Specs {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				gr := graph.New(spec.Envs[0])
				out := gr.Mermaid()
				if format == "dot" {
					out = gr.DOT()
				}
				if _, err := cmd.OutOrStdout().Write(out); err != nil {
					return err
				}
			}
			if g.verbose {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d pipelines drawn\n", len(res.Specs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "the graph language: mermaid or dot")
	cmd.Flags().StringVar(&env, "env", "", "draw this environment (default: the first by name)")
	return cmd
}
