package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
)

// diagFlags is how a command reports findings: the flags are declared once
// here and shared by every command that compiles specs.
type diagFlags struct {
	format string
	strict bool
}

func (d *diagFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&d.format, "format", "text", "how to print findings: text, json (one object per line) or github (workflow annotations)")
	fs.BoolVar(&d.strict, "strict", false, "treat warnings as errors")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "github"}, cobra.ShellCompDirectiveNoFileComp))
}

func (d *diagFlags) validate() error {
	switch d.format {
	case "text", "json", "github":
		return nil
	}
	return fmt.Errorf("--format %q is not one of text, json, github", d.format)
}

// finding is the documented JSON form of a diagnostic (docs/diagnostics.md).
type finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// report prints findings in the chosen format, text to stderr and the
// machine formats to stdout, and says whether they fail the command.
func (d *diagFlags) report(stdout, stderr io.Writer, ds compiler.Diagnostics) (failed bool) {
	for i := range ds {
		if d.strict && ds[i].Severity == compiler.Warning {
			ds[i].Severity = compiler.Error
		}
	}
	switch d.format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, f := range ds {
			enc.Encode(finding{f.File, f.Line, f.Column, f.Path, string(f.Code), f.Message, string(f.Severity)})
		}
	case "github":
		for _, f := range ds {
			fmt.Fprintln(stdout, annotation(f))
		}
	default:
		paint := colours(stderr)
		for _, f := range ds {
			fmt.Fprintln(stderr, paint(f))
		}
	}
	return ds.HasErrors()
}

// annotation is a GitHub Actions workflow command that puts the finding on
// the line it is about in a pull request's diff.
func annotation(f compiler.Diagnostic) string {
	kind := "error"
	if f.Severity == compiler.Warning {
		kind = "warning"
	}
	props := []string{}
	if f.File != "" {
		props = append(props, "file="+escapeProperty(f.File), fmt.Sprintf("line=%d", f.Line), fmt.Sprintf("col=%d", f.Column))
	}
	props = append(props, "title="+escapeProperty(string(f.Code)))
	msg := f.Message
	if f.Path != "" {
		msg = f.Path + ": " + msg
	}
	return "::" + kind + " " + strings.Join(props, ",") + "::" + escapeData(msg)
}

// GitHub's workflow commands end at a line break and split properties at
// ',' and ':', so those are percent-encoded, as the runner decodes them.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// colours returns how to print a finding as text: with its position in
// bold and "warning" in yellow on a terminal, plainly anywhere else and
// whenever NO_COLOR is set (https://no-color.org).
func colours(w io.Writer) func(compiler.Diagnostic) string {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || !isTerminal(f) {
		return compiler.Diagnostic.String
	}
	return func(d compiler.Diagnostic) string {
		s := d.String()
		if pos, rest, ok := strings.Cut(s, ": "); ok && d.File != "" {
			s = "\x1b[1m" + pos + "\x1b[0m: " + rest
		}
		return strings.Replace(s, "warning:", "\x1b[33mwarning:\x1b[0m", 1)
	}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
