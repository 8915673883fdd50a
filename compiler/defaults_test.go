package compiler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue/load"
	"github.com/rogpeppe/go-internal/txtar"
)

const defaultsSpec = `package p

name: "defaults"
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
services: web: {image: "web", replicas: *2 | int}
services: api: {image: "web", replicas: 2, env: X: "\(name)"}
// Defaults under pattern constraints: for every service, and for those
// whose name starts with w.
services: [string]: resources: cpu: *"250m" | string
services: [=~"^w"]: resources: memory: *"512Mi" | string
subscriptions: pull: topic: "events"
topics: events: {}
dags: nightly: {schedule: "@daily", start: "2026-01-01", retries: *4 | int, tasks: run: image: "web"}
environments: {
	dev: project:     "defaults-dev-1234"
	staging: project: "defaults-stg-1234"
	prod: {
		project: "defaults-prod-1234"
		services: web: replicas: 5
		// A default written in an environment counts too; the others
		// get the schema's.
		subscriptions: pull: ackDeadline: *60 | int
	}
}
`

// TestSpecDefaultsWinOverTheSchemas: a base value written as a default that
// differs from the schema's default is what environments that leave it
// alone get, whichever way the environments are evaluated.
func TestSpecDefaultsWinOverTheSchemas(t *testing.T) {
	dir := t.TempDir()
	extract(t, dir, txtar.Parse([]byte("-- pipeline.cue --\n"+defaultsSpec+"-- web/app.py --\nprint(1)\n")))
	for _, whole := range []bool{false, true} {
		res, err := Compile(context.Background(), []string{dir}, Options{Root: dir, evalWhole: whole})
		if err != nil {
			t.Fatal(err)
		}
		if res.Diagnostics.HasErrors() || len(res.Specs) != 1 {
			var b strings.Builder
			res.Diagnostics.Print(&b)
			t.Fatalf("evalWhole=%v: does not compile:\n%s", whole, b.String())
		}
		for _, p := range res.Specs[0].Envs {
			web, api := p.Services["web"].Resources, p.Services["api"].Resources
			if web.CPU != "250m" || web.Memory != "512Mi" || api.CPU != "250m" || api.Memory != "128Mi" {
				t.Errorf("evalWhole=%v, %s: resources web %+v, api %+v; want the patterns' cpu 250m for both, memory 512Mi for web only (api: the schema's 128Mi)", whole, p.Env, web, api)
			}
		}
		want := map[string][3]int{ // web replicas, ackDeadline, DAG retries
			"dev":     {2, 10, 4},
			"staging": {2, 10, 4},
			"prod":    {5, 60, 4},
		}
		for _, p := range res.Specs[0].Envs {
			got := [3]int{p.Services["web"].Replicas, p.Subscriptions["pull"].AckDeadline, p.DAGs["nightly"].Retries}
			if got != want[p.Env] {
				t.Errorf("evalWhole=%v, %s: replicas, ackDeadline, retries = %v, want %v", whole, p.Env, got, want[p.Env])
			}
		}
	}
}

func TestDefaultPaths(t *testing.T) {
	dir := t.TempDir()
	src := `package p
a: *1 | int
b: c: (*"x" | string)
d: int | *3
e: 4
_hidden: *5 | int
#Def: f: *6 | int
services: [string]: replicas: *7 | int
services: web: replicas: *8 | int
environments: prod: services: web: port: *9 | int
environments: prod: g: *10 | int
environments: [string]: topics: [=~"^a"]: retention: *"1d" | string
`
	if err := os.WriteFile(filepath.Join(dir, "p.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
	if insts[0].Err != nil {
		t.Fatal(insts[0].Err)
	}
	var got []string
	for _, p := range defaultPaths(insts[0].Files) {
		got = append(got, p.String())
	}
	want := "a b.c d services.[_].replicas services.web.replicas services.web.port g topics.[_].retention"
	if strings.Join(got, " ") != want {
		t.Errorf("defaultPaths = %q, want %q", strings.Join(got, " "), want)
	}
}
