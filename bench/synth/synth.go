// Package synth writes synthetic pipelines for the benchmarks: N pipeline
// directories shaped like real ones, each a CUE package that `pipec vet`
// accepts, with the image sources the compiler checks for. The output
// depends only on N, so two runs of the harness measure the same inputs.
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/pipec/pipec/schema"
)

// Shape is what every synthetic pipeline holds, for the report.
const Shape = "2 images, 2 services, 2 topics, 2 subscriptions (one BigQuery), " +
	"1 dataset with 2 tables, 1 DAG of 6 tasks, 3 environments, Argo CD or Flux"

// Envs are the environments every synthetic pipeline declares.
var Envs = []string{"dev", "staging", "prod"}

// Name is the name (and package and directory name) of pipeline i.
func Name(i int) string { return fmt.Sprintf("p%04d", i) }

// Write writes pipelines 1..n under dir/pipelines/<name>/, each with its
// spec and the image sources it names, and the same specs as cue sees them
// under dir/cue/ (see writeCUE). Files already in dir are left alone.
func Write(dir string, n int) error {
	for i := 1; i <= n; i++ {
		if err := writePipeline(filepath.Join(dir, "pipelines", Name(i)), i); err != nil {
			return err
		}
	}
	return writeCUE(filepath.Join(dir, "cue"), n)
}

// writeCUE writes the specs of pipelines 1..n into a CUE module under dir,
// for the cue CLI: pipec applies its embedded schema to every spec, cue
// needs the schema in the module and a file that applies it. Each pipeline
// directory holds the same pipeline.cue, byte for byte, and schema.cue,
// which unifies the package with the schema's #Pipeline and with its first
// environment, so that cue evaluates one concrete environment of each spec
// where pipec evaluates all three.
func writeCUE(dir string, n int) error {
	files := map[string]string{
		"cue.mod/module.cue":  "module: \"bench.pipec.test\"\nlanguage: version: \"v0.17.0\"\n",
		"schema/pipeline.cue": string(schema.Source),
	}
	for i := 1; i <= n; i++ {
		name := Name(i)
		files["pipelines/"+name+"/pipeline.cue"] = spec(i)
		files["pipelines/"+name+"/schema.cue"] = "package " + name + "\n\n" +
			"import \"bench.pipec.test/schema\"\n\n" +
			"schema.#Pipeline\n" +
			"environments." + Envs[0] + "\n"
	}
	return writeFiles(dir, files)
}

func writePipeline(dir string, i int) error {
	name := Name(i)
	files := map[string]string{
		"pipeline.cue":                spec(i),
		"ingest/requirements.txt":     "google-cloud-pubsub==2.27.1\nflask==3.1.0\n",
		"ingest/ingest.py":            "# " + name + " ingest: receives events and publishes them.\nprint('ingest')\n",
		"transform/requirements.txt":  "google-cloud-bigquery==3.27.0\npandas==2.2.3\n",
		"transform/transform.py":      "# " + name + " transform: batch and streaming steps.\nprint('transform')\n",
		"transform/steps/__init__.py": "",
	}
	return writeFiles(dir, files)
}

func writeFiles(dir string, files map[string]string) error {
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// spec is pipeline i's pipeline.cue. Small values vary with i so that no
// two pipelines are identical, without changing their shape.
func spec(i int) string {
	var b strings.Builder
	err := specTemplate.Execute(&b, struct {
		Name, Python, Schedule, Number, GitOps string
		Replicas, Ack                          int
	}{
		Name:     Name(i),
		Python:   []string{"3.11", "3.12", "3.13"}[i%3],
		Schedule: fmt.Sprintf("%d %d * * *", i%60, 1+i%5),
		Number:   fmt.Sprintf("%d", 400000000000+i*10),
		GitOps:   []string{"argocd", "flux"}[i%2],
		Replicas: 2 + i%3,
		Ack:      30 + 10*(i%4),
	})
	if err != nil {
		panic(err) // the template is a constant
	}
	return b.String()
}

var specTemplate = template.Must(template.New("spec").Parse(`// Synthetic pipeline {{.Name}}, written by pipec's bench/gen. An ingest
// service publishes events; a BigQuery subscription lands them, a worker
// pulls what BigQuery refused from the dead-letter topic, and a daily DAG
// turns the events into a summary table.
package {{.Name}}

name:     "{{.Name}}"
project:  string // set per environment
region:   "europe-west1"
registry: "\(region)-docker.pkg.dev/\(project)/pipelines"
labels: {team: "bench", pipeline: "{{.Name}}"}
gitops: {
	tool:    "{{.GitOps}}"
	repoURL: "https://github.com/example/bench-pipelines.git"
}

images: {
	ingest: {
		context:      "ingest"
		python:       "{{.Python}}"
		requirements: "requirements.txt"
		copy: ["ingest.py"]
		command: ["python", "ingest.py"]
	}
	transform: {
		context:      "transform"
		python:       "3.12"
		requirements: "requirements.txt"
		copy: ["transform.py", "steps"]
		command: ["python", "transform.py"]
		env: LOG_FORMAT: "json"
	}
}

topics: {
	events: retention:               "7d"
	"events-dead-letter": retention: "14d"
}

subscriptions: {
	"events-to-bigquery": {
		topic: "events"
		bigquery: {table: "events.raw", writeMetadata: true}
		deadLetter: {topic: "events-dead-letter", maxAttempts: 5}
	}
	"events-worker": {
		topic:       "events-dead-letter"
		ackDeadline: {{.Ack}}
		retry: {minBackoff: "10s", maxBackoff: "300s"}
	}
}

datasets: events: {
	description: "Events of {{.Name}}, one partition per day."
	tables: {
		raw: {
			fields: [
				{name: "data", type: "JSON"},
				{name: "subscription_name", type: "STRING"},
				{name: "message_id", type: "STRING"},
				{name: "publish_time", type: "TIMESTAMP"},
				{name: "attributes", type: "JSON"},
			]
			partition: {field: "publish_time", by: "DAY", expiration: "90d"}
			clustering: ["subscription_name"]
		}
		daily: {
			fields: [
				{name: "date", type: "DATE", mode: "REQUIRED"},
				{name: "kind", type: "STRING", mode: "REQUIRED"},
				{name: "events", type: "INT64", mode: "REQUIRED"},
			]
			partition: {field: "date", by: "DAY"}
		}
	}
}

services: {
	ingest: {
		image:    "ingest"
		replicas: *1 | int
		port:     8080
		publishes: ["events"]
		env: {
			EVENTS_TOPIC: "events"
			INGEST_TOKEN: secret: "{{.Name}}-ingest-token"
		}
		resources: {cpu: "250m", memory: "256Mi"}
	}
	worker: {
		image:    "transform"
		replicas: *1 | int
		args: ["stream"]
		subscribes: ["events-worker"]
		writes: ["events.daily"]
		resources: {cpu: "500m", memory: "512Mi", memoryLimit: "1Gi"}
	}
}

dags: daily_events: {
	schedule: "{{.Schedule}}"
	start:    "2026-01-01"
	retries:  *2 | int
	tags: ["bench", "{{.Name}}"]
	tasks: {
		extract_events: {
			image: "transform"
			group: "extract"
			args: ["extract", "--date", "{{"{{"}} ds {{"}}"}}"]
			reads: ["events.raw"]
		}
		extract_kinds: {
			image: "transform"
			group: "extract"
			args: ["kinds", "--date", "{{"{{"}} ds {{"}}"}}"]
			reads: ["events.raw"]
		}
		aggregate: {
			image: "transform"
			after: ["extract_events", "extract_kinds"]
			args: ["aggregate", "--date", "{{"{{"}} ds {{"}}"}}"]
			writes: ["events.daily"]
			timeout: "1h"
			resources: {cpu: "1", memory: "2Gi"}
		}
		check: {
			image: "transform"
			after: ["aggregate"]
			args: ["check", "--date", "{{"{{"}} ds {{"}}"}}"]
			reads: ["events.daily"]
			retries: 0
		}
		notify: {
			image: "ingest"
			after: ["check"]
			args: ["notify"]
			env: WEBHOOK_TOKEN: secret: "{{.Name}}-webhook-token"
		}
		cleanup: {
			image: "transform"
			after: ["aggregate"]
			args: ["cleanup", "--date", "{{"{{"}} ds {{"}}"}}"]
			triggerRule: "all_done"
		}
	}
}

environments: {
	dev: {
		project:       "bench-{{.Name}}-dev"
		projectNumber: "{{.Number}}1"
	}
	staging: {
		project:       "bench-{{.Name}}-stg"
		projectNumber: "{{.Number}}2"
	}
	prod: {
		project:       "bench-{{.Name}}-prod"
		projectNumber: "{{.Number}}3"
		services: {
			ingest: replicas: {{.Replicas}}
			worker: replicas: 2
		}
		dags: daily_events: retries: 3
	}
}
`))
