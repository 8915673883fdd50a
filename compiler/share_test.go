package compiler

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/load"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pipec/pipec/bench/synth"
)

// Specs written to catch the sharing analysis trusting what it should not.
// Each must compile to the same Spec, with the same findings, whether
// environments share evaluations or not.
var sharingCases = `
-- storage/pipeline.cue --
package storage

// Optional structs of every kind: pointers the decoders must fill or leave nil.
name:    "storage"
project: string
topics: {events: {}, dead: {}}
buckets: "storage-archive-4821": lifecycleDays: 30
subscriptions: {
	archive: {topic: "events", cloudStorage: {bucket: "storage-archive-4821", filenamePrefix: "events/"}}
	retried: {
		topic: "events"
		retry: maxBackoff: "300s"
		deadLetter: topic: "dead"
		filter: "attributes.kind = \"a\""
	}
	plain: topic: "events"
}
environments: {
	dev: {project: "storage-dev-1234", projectNumber: "482154217301"}
	prod: {project: "storage-prod-1234", projectNumber: "482154217302", buckets: "storage-archive-4821": storageClass: "NEARLINE"}
}
-- refs/pipeline.cue --
package refs

name:    "refs"
project: string
labels: team: *"data" | string
// Differ per environment through a reference and an interpolation of a
// default that one environment overrides.
topics: events: {}
services: api: {image: "web", replicas: 2, env: TEAM: "\(labels.team)"}
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
environments: {
	dev: project: "refs-dev-1234"
	prod: {project: "refs-prod-1234", labels: team: "ops"}
}
-- refs/web/app.py --
print(1)
-- project/pipeline.cue --
package project

name:    "project"
project: string
// Differ per environment through references to a value only environments
// set.
topics: {
	events: {}
	audit: labels: owner: project
}
services: web: {image: "web", replicas: 2, env: PROJECT: project}
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
environments: {
	dev: project: "project-dev-1234"
	prod: project: "project-prod-1234"
}
-- project/web/app.py --
print(1)
-- sibling/pipeline.cue --
package sibling

name: "sibling"
// One topic written as a copy of another, by its bare name.
topics: {
	events: {retention: "3d", labels: kind: "events"}
	copy:   events
}
environments: {
	dev: project:  "sib-dev-1234"
	prod: {project: "sib-prod-1234", topics: events: labels: tier: "prod"}
}
-- pattern/pipeline.cue --
package pattern

name: "pattern"
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
// A constraint on every service, and one environment's on every topic.
services: [string]: resources: cpu: "200m"
services: {
	web: {image: "web", replicas: 2}
	api: {image: "web", replicas: 3}
}
topics: {alpha: {}, beta: retention: "2d"}
environments: {
	dev: project: "pat-dev-1234"
	prod: {
		project: "pat-prod-1234"
		topics: [string]: labels: tier: "prod"
		topics: gamma: {}
	}
}
-- pattern/web/app.py --
print(1)
-- split/a.cue --
package split

name: "split"
// Entries written in two files, partly in each.
topics: events: retention: "3d"
subscriptions: pull: {topic: "events", ackDeadline: 30}
let days = "9d"
topics: logs: retention: days
-- split/b.cue --
package split

topics: events: labels: team: "data"
subscriptions: pull: retry: {}
environments: {
	dev: project: "split-dev-1234"
	staging: project: "split-stg-1234"
	prod: {project: "split-prod-1234", subscriptions: pull: filter: "attributes.kind = \"x\""}
}
-- patterndefaults/pipeline.cue --
package patterndefaults

name: "patterndefaults"
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
// Defaults under pattern constraints that differ from the schema's: every
// service's replicas, and, in prod, the retention of the topics named a*.
services: [string]: replicas: *2 | int
services: {
	web: image: "web"
	api: {image: "web", replicas: 4}
}
topics: {orders: {}, audit: {}}
environments: {
	dev: project:     "patd-dev-1234"
	staging: project: "patd-stg-1234"
	prod: {
		project: "patd-prod-1234"
		topics: [=~"^a"]: retention: *"1d" | string
	}
}
-- patterndefaults/web/app.py --
print(1)
-- shadow/pipeline.cue --
package shadow

name: "shadow"
// An entry named like a predeclared type.
topics: {
	int: {}
	events: retention: "1d"
}
environments: {
	dev: project:  "shadow-dev-1234"
	prod: project: "shadow-prod-1234"
}
-- yaml/pipeline.yaml --
name: yaml
topics:
  events: {retention: 3d}
  logs: {}
subscriptions:
  pull: {topic: events}
environments:
  dev: {project: yaml-dev-1234}
  prod:
    project: yaml-prod-1234
    subscriptions: {pull: {ackDeadline: 40}}
-- json/pipeline.json --
{"name": "json", "topics": {"events": {"retention": "3d"}},
 "environments": {"dev": {"project": "json-dev-1234"}, "prod": {"project": "json-prod-1234", "topics": {"extra": {}}}}}
-- local/pipeline.cue --
package local

name:    "local"
project: string
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
// Environments override shared entries with values of their own, a
// default among them, next to an entry they add.
services: web: {image: "web", replicas: *1 | int, resources: cpu: "200m"}
topics: {events: retention: "3d", logs: {}}
dags: nightly: {schedule: "@daily", start: "2026-01-01", tasks: {a: image: "web", b: {image: "web", after: ["a"]}}}
environments: {
	dev: project: "local-dev-1234"
	staging: {project: "local-stg-1234", services: web: resources: memory: *"512Mi" | string}
	prod: {
		project: "local-prod-1234"
		services: web: {replicas: 3, resources: memory: "1Gi"}
		topics: {events: labels: tier: "prod", extra: {}}
		dags: nightly: {retries: 5, tasks: b: retries: 0}
	}
}
-- local/web/app.py --
print(1)
-- kept/pipeline.cue --
package kept

name:    "kept"
project: string
images: web: {context: "web", python: "3.12", copy: ["app.py"], command: ["python", "app.py"]}
// An override that refers outside the entry it overrides.
services: web: {image: "web", replicas: 2}
topics: events: {}
environments: {
	dev: project: "kept-dev-1234"
	prod: {project: "kept-prod-1234", services: web: env: PROJECT: project}
}
-- kept/web/app.py --
print(1)
-- envref/pipeline.cue --
package envref

name: "envref"
// A value that reads an environment's override of a shared entry.
labels: tier: environments.prod.topics.events.labels.tier
topics: events: {}
environments: {
	dev: {project: "envref-dev-1234", labels: tier: "gold"}
	prod: {project: "envref-prod-1234", topics: events: labels: tier: "gold"}
}
-- reads/pipeline.cue --
package reads

name: "reads"
// A label that reads a map of entries, falling back to a default: it must
// see the entry, not the default.
topics: {events: labels: kind: "stream", logs: {}}
labels: kind: *topics.events.labels.kind | "none"
environments: {
	dev: project:  "reads-dev-1234"
	prod: project: "reads-prod-1234"
}
-- badref/pipeline.cue --
package badref

name: "badref"
// Findings of pipec's own checks inside a shared entry, and a CUE error
// in an entry one environment overrides.
services: web: {image: "nope", publishes: ["missing"]}
topics: events: retention: "3d"
environments: {
	dev: project:  "badref-dev-1234"
	prod: {project: "badref-prod-1234", topics: events: retention: 3}
}
`

// TestSharingMatchesWholeEvaluation compiles every spec the tests know
// (the examples, synthetic pipelines, the cases above and the bad-input
// corpus) both ways and requires the same Specs and the same findings.
func TestSharingMatchesWholeEvaluation(t *testing.T) {
	for _, s := range knownSpecs(t) {
		shared, err := Compile(context.Background(), []string{s.dir}, Options{Root: s.root})
		if err != nil {
			t.Fatal(err)
		}
		whole, err := Compile(context.Background(), []string{s.dir}, Options{Root: s.root, evalWhole: true})
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		shared.Diagnostics.Print(&a)
		whole.Diagnostics.Print(&b)
		if a.String() != b.String() {
			t.Errorf("%s: findings differ\n--- shared\n%s--- whole\n%s", s.dir, a.String(), b.String())
		}
		if s.valid && (shared.Diagnostics.HasErrors() || len(shared.Specs) != 1) {
			t.Errorf("%s does not compile:\n%s", s.dir, a.String())
		}
		if !reflect.DeepEqual(shared.Specs, whole.Specs) {
			t.Errorf("%s: the shared evaluation compiled another Spec than the whole one", s.dir)
		}
	}
}

// TestOverriddenEntriesAreEvaluatedApart pins how environments that
// override shared entries are evaluated: on their own when the overrides
// refer to nothing else, with the rest of the spec otherwise, and never
// whole for a valid spec. TestSharingMatchesWholeEvaluation holds each
// way to the results of the whole evaluation.
func TestOverriddenEntriesAreEvaluatedApart(t *testing.T) {
	root := t.TempDir()
	extract(t, root, txtar.Parse([]byte(sharingCases)))
	if err := synth.Write(root, 1); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	resolvedHow = func(dir, env, how string) { got[filepath.Base(dir)+"/"+env] = how }
	defer func() { resolvedHow = nil }()
	dirs := []string{"local", "kept", "envref", filepath.Join("pipelines", synth.Name(1))}
	for _, d := range dirs {
		res, err := Compile(context.Background(), []string{filepath.Join(root, d)}, Options{Root: root, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Diagnostics.HasErrors() {
			var b strings.Builder
			res.Diagnostics.Print(&b)
			t.Fatalf("%s does not compile:\n%s", d, b.String())
		}
	}
	want := map[string]string{
		"local/dev": "shared", "local/staging": "local", "local/prod": "local",
		"kept/dev": "shared", "kept/prod": "kept",
		"envref/dev": "shared", "envref/prod": "kept",
		synth.Name(1) + "/dev": "shared", synth.Name(1) + "/staging": "shared", synth.Name(1) + "/prod": "local",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("environments evaluated\n%v\nwant\n%v", got, want)
	}
}

// knownSpec is a pipeline directory a test compiles, and whether it is
// valid.
type knownSpec struct {
	root, dir string
	valid     bool
}

// knownSpecs returns every spec the tests know: the examples, synthetic
// pipelines, the sharing cases above and the bad-input corpus.
func knownSpecs(t *testing.T) []knownSpec {
	type spec = knownSpec
	var specs []spec
	examples, _ := filepath.Glob("../pipelines/*")
	for _, d := range examples {
		specs = append(specs, spec{"..", d, true})
	}
	synthRoot := t.TempDir()
	if err := synth.Write(synthRoot, 3); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		specs = append(specs, spec{synthRoot, filepath.Join(synthRoot, "pipelines", synth.Name(i)), true})
	}
	cases := t.TempDir()
	extract(t, cases, txtar.Parse([]byte(sharingCases)))
	dirs, _ := os.ReadDir(cases)
	for _, d := range dirs {
		specs = append(specs, spec{cases, filepath.Join(cases, d.Name()), d.Name() != "badref"})
	}
	corpus, _ := filepath.Glob("../testdata/bad/*.txtar")
	for _, path := range corpus {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(path), ".txtar"))
		extract(t, dir, ar)
		specs = append(specs, spec{dir, dir, false})
	}
	if len(examples) == 0 || len(corpus) == 0 {
		t.Fatal("the examples or the bad-input corpus are missing")
	}
	return specs
}

// extract writes an archive's files under dir, all but "want", which
// holds what a test expects.
func extract(t *testing.T, dir string, ar *txtar.Archive) {
	t.Helper()
	for _, f := range ar.Files {
		if f.Name == "want" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPlanSharing pins what the analysis shares: enough to matter, and
// nothing a reference, alias or comprehension could reach.
func TestPlanSharing(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		// want lists "map.key" shared, and per environment the shared
		// entries it overrides; "none" means no plan.
		want    []string
		touched map[string][]string
	}{{
		name: "literal entries are shared",
		src: `name: "x", topics: {a: {}, b: retention: "1d"}, services: web: {image: "w", replicas: *1 | int}
environments: {dev: project: "p", prod: {project: "q", services: web: replicas: 2}}`,
		want:    []string{"services.web", "topics.a", "topics.b"},
		touched: map[string][]string{"dev": nil, "prod": {"services.web"}},
	}, {
		name: "an entry referring outside itself is evaluated per environment",
		src: `project: string, topics: {a: labels: p: project, b: {}}, services: web: env: X: "\(project)"
environments: dev: project: "p"`,
		want:    []string{"topics.b"},
		touched: map[string][]string{"dev": nil},
	}, {
		name: "a key some value names stays",
		src:  `topics: {a: {}, b: a, c: {}}, environments: dev: {}`,
		want: []string{"topics.c"}, touched: map[string][]string{"dev": nil},
	}, {
		name: "a pattern constraint keeps the map whole",
		src:  `topics: [string]: {}, topics: a: {}, services: web: image: "w", environments: dev: {}`,
		want: []string{"services.web"}, touched: map[string][]string{"dev": nil},
	}, {
		name: "an entry named like a predeclared type keeps its map whole",
		src:  `topics: {int: {}, a: {}}, services: web: image: "w", environments: dev: {}`,
		want: []string{"services.web"}, touched: map[string][]string{"dev": nil},
	}, {
		name: "an environment written as a pattern is evaluated whole",
		src:  `topics: a: {}, environments: {dev: {}, prod: topics: [string]: {}}`,
		want: []string{"topics.a"}, touched: map[string][]string{"dev": nil},
	}, {
		name: "a reference to a map of entries turns sharing off",
		src:  `topics: a: {}, labels: n: "\(len(topics))", environments: dev: {}`,
		want: []string{"none"},
	}, {
		name: "an override reading a map turns sharing off",
		src:  `topics: a: {}, environments: dev: topics: b: topics.a`,
		want: []string{"none"},
	}, {
		name: "an alias turns sharing off",
		src:  `T=topics: a: {}, labels: n: "\(len(T))", environments: dev: {}`,
		want: []string{"none"},
	}, {
		name: "a comprehension at the top turns sharing off",
		src:  `topics: a: {}, for k, _ in {b: 1} { topics: (k): {} }, environments: dev: {}`,
		want: []string{"none"},
	}, {
		name: "a comprehension in a value turns sharing off",
		src:  `topics: a: {}, labels: {for k, _ in {b: 1} { (k): "x" }}, environments: dev: {}`,
		want: []string{"none"},
	}, {
		name: "an embedding at the top turns sharing off",
		src:  `{topics: b: {}}, topics: a: {}, environments: dev: {}`,
		want: []string{"none"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.cue"), []byte("package p\n"+tc.src+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
			if insts[0].Err != nil {
				t.Fatal(insts[0].Err)
			}
			plan := planSharing(insts[0].Files)
			var got []string
			touched := map[string][]string{}
			if plan == nil {
				got = []string{"none"}
			} else {
				for m, keys := range plan.shared {
					for _, k := range keys {
						got = append(got, m+"."+k)
					}
				}
				for env, keys := range plan.envs {
					touched[env] = nil
					for k := range keys {
						touched[env] = append(touched[env], strings.Replace(k, "\x00", ".", 1))
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("shared %v, want %v", got, tc.want)
			}
			if plan != nil && !reflect.DeepEqual(touched, tc.touched) {
				t.Errorf("overridden %v, want %v", touched, tc.touched)
			}
		})
	}
}
