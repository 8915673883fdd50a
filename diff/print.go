package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// group is how a change's heading reads: the pipeline, and the
// environment unless every environment shares the file.
func group(c Change) string {
	if c.Env == "" {
		return c.Pipeline + " (every environment)"
	}
	return c.Pipeline + "/" + c.Env
}

func (c Change) title() string {
	if c.Kind == "" {
		return "file " + c.Name
	}
	return c.Kind + " " + c.Name
}

// classes lists the change's alert classes once each.
func (c Change) classes() []string {
	var out []string
	for _, a := range c.Alerts {
		if !slices.Contains(out, a.Class) {
			out = append(out, a.Class)
		}
	}
	return out
}

func value(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Summary counts the changes: "1 added, 2 changed, 1 removed".
func Summary(changes []Change) string {
	n := map[Op]int{}
	for _, c := range changes {
		n[c.Op]++
	}
	return fmt.Sprintf("%d added, %d changed, %d removed", n[Added], n[Changed], n[Removed])
}

func alerting(changes []Change) int {
	n := 0
	for _, c := range changes {
		if len(c.Alerts) > 0 {
			n++
		}
	}
	return n
}

// WriteText prints changes for a terminal: one heading per pipeline and
// environment, one line per object, its changed fields below it, and
// alerts marked with "!!" so a reviewer cannot miss them.
func WriteText(w io.Writer, changes []Change) {
	last := ""
	for _, c := range changes {
		if g := group(c); g != last {
			fmt.Fprintln(w, g)
			last = g
		}
		line := fmt.Sprintf("  %s %s", c.Op, c.title())
		for _, class := range c.classes() {
			line += "  !! " + class
		}
		fmt.Fprintln(w, line)
		for _, f := range c.Fields {
			fmt.Fprintf(w, "      %s: %s -> %s\n", f.Path, value(f.Old), value(f.New))
		}
		for _, l := range textLines(c.Text) {
			fmt.Fprintln(w, "      "+l)
		}
		for _, a := range c.Alerts {
			fmt.Fprintf(w, "      !! %s: %s\n", a.Class, a.Message)
		}
	}
	fmt.Fprint(w, Summary(changes))
	if n := alerting(changes); n > 0 {
		fmt.Fprintf(w, "; %d need attention (!!)", n)
	}
	fmt.Fprintln(w)
}

func textLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// WriteMarkdown prints changes as a pull-request comment: the alerts
// first, as a GitHub caution block, then each pipeline and environment as
// a list, and text diffs folded away. against names the base revision, in
// Markdown.
func WriteMarkdown(w io.Writer, changes []Change, against string) {
	fmt.Fprintf(w, "### pipec diff against %s\n\n", against)
	if len(changes) == 0 {
		fmt.Fprintln(w, "No changes.")
		return
	}
	fmt.Fprintf(w, "**%s.**\n", Summary(changes))
	if alerting(changes) > 0 {
		fmt.Fprintln(w, "\n> [!CAUTION]")
		for _, c := range changes {
			for _, a := range c.Alerts {
				fmt.Fprintf(w, "> - **%s** %s %s %s: %s\n", a.Class, Code(group(c)), c.Kind, Code(c.Name), a.Message)
			}
		}
	}
	last := ""
	for _, c := range changes {
		if g := group(c); g != last {
			fmt.Fprintf(w, "\n#### %s\n\n", g)
			last = g
		}
		title := Code(c.Name)
		if c.Kind != "" {
			title = c.Kind + " " + title
		}
		for _, class := range c.classes() {
			title += " **" + class + "**"
		}
		fmt.Fprintf(w, "- %s %s\n", Code(string(c.Op)), title)
		for _, f := range c.Fields {
			fmt.Fprintf(w, "  - %s: %s → %s\n", Code(f.Path), Code(value(f.Old)), Code(value(f.New)))
		}
		if len(c.Text) > 0 {
			fmt.Fprintf(w, "  <details><summary>diff</summary>\n\n  ```diff\n")
			for _, l := range textLines(c.Text) {
				fmt.Fprintln(w, "  "+l)
			}
			fmt.Fprintf(w, "  ```\n  </details>\n")
		}
	}
}

// Code writes s as a Markdown code span, with a fence longer than any run
// of backticks inside it, so no value can break out of it.
func Code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
