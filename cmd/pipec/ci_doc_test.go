package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pipec/pipec/internal/cli"
)

// TestCIDoc keeps docs/ci.md working: its YAML parses, its GitHub
// workflows run the two checks, and every pipec command it shows takes the
// flags it is shown with.
func TestCIDoc(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	workflows := 0
	for _, b := range blocks {
		var y struct {
			Jobs map[string]struct {
				Steps []struct {
					Run  string
					With map[string]string
				}
			}
		}
		if err := yaml.Unmarshal(b[1], &y); err != nil {
			t.Errorf("a YAML block does not parse: %v\n%s", err, b[1])
			continue
		}
		for _, job := range y.Jobs {
			workflows++
			var all strings.Builder
			for _, s := range job.Steps {
				all.WriteString(s.Run + "\n" + s.With["args"] + "\n")
			}
			for _, want := range []string{"vet --format github ./pipelines/...", "build --check"} {
				if !strings.Contains(all.String(), want) {
					t.Errorf("a workflow does not run %q", want)
				}
			}
		}
	}
	if workflows < 2 {
		t.Errorf("%d GitHub workflows, want the Go one and the container one", workflows)
	}

	// Each command, with -h added, must parse: an unknown flag exits 2.
	commands := regexp.MustCompile("(?m)(?:\\bpipec |args: )((?:vet|build|lock|diff|schema|init)\\b[^|>;`\\n]*)").FindAllSubmatch(doc, -1)
	if len(commands) < 5 {
		t.Fatalf("found %d pipec commands in docs/ci.md", len(commands))
	}
	for _, c := range commands {
		args := append(strings.Fields(string(c[1])), "-h")
		var out bytes.Buffer
		if code := cli.Run(context.Background(), args, &out, &out); code != 0 {
			t.Errorf("pipec %s exits %d:\n%s", c[1], code, out.String())
		}
	}
}
