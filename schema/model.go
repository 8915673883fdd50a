package schema

import (
	"encoding/json"
	"fmt"
	"time"
)

// Spec is one compiled pipeline: the same pipeline resolved in each of its
// environments. Targets turn a Spec into files.
type Spec struct {
	// Name is the pipeline's name; it names its output directory.
	Name string
	// Dir is the spec directory as written in generated headers: a
	// slash-separated path relative to the project root.
	Dir string
	// SourceDir is the spec directory on disk, for targets that must know
	// which source files exist (never written into output).
	SourceDir string
	// Envs holds one fully resolved pipeline per environment, sorted by name.
	Envs []*Pipeline
	// Pins holds the pipeline's pipec.lock: each image reference it pins,
	// as pipec writes it unpinned, mapped to a digest ("sha256:...").
	Pins map[string]string
	// Uses lists every image reference the pipeline needs pinned, built
	// and base images alike, with the spec value that asks for it; it is
	// what `pipec lock` resolves and what requireDigests checks.
	Uses []ImageUse
}

// Pinned returns ref followed by its locked digest, or ref unchanged when
// the lock does not pin it. ref is a reference as pipec writes it unpinned,
// such as a base image "python:3.12-slim-bookworm".
func (s *Spec) Pinned(ref string) string {
	if digest, ok := s.Pins[ref]; ok {
		return ref + "@" + digest
	}
	return ref
}

// ImageUse is an image reference a pipeline needs pinned, and where the
// spec asks for it.
type ImageUse struct {
	// Ref is the reference unpinned: a base image as the Dockerfiles name
	// it, or a built image's Repository:Tag in one environment.
	Ref string
	// Image is the name of the spec's image that uses Ref.
	Image string
	// Env is the environment a built image is pushed for. It is empty for
	// a base image: Dockerfiles are shared by every environment.
	Env string
	// Path is the spec value that decides Ref ("images.collector.python"),
	// and Pos where it is written ("pipelines/tweets/pipeline.cue:14:16").
	Path, Pos string
}

// Built reports whether Ref is an image the pipeline builds itself, as
// opposed to a base image it builds from.
func (u ImageUse) Built() bool { return u.Env != "" }

// Pipeline is a pipeline resolved in one environment: validated, defaulted,
// every reference checked. Maps are keyed by the names used in the spec;
// targets must iterate them in sorted order.
type Pipeline struct {
	Name           string                   `json:"name"`
	Project        string                   `json:"project"`
	ProjectNumber  string                   `json:"projectNumber"`
	Region         string                   `json:"region"`
	Registry       string                   `json:"registry"`
	Namespace      string                   `json:"namespace"`
	Labels         map[string]string        `json:"labels"`
	RequireDigests bool                     `json:"requireDigests"`
	Images         map[string]*Image        `json:"images"`
	Topics         map[string]*Topic        `json:"topics"`
	Subscriptions  map[string]*Subscription `json:"subscriptions"`
	Datasets       map[string]*Dataset      `json:"datasets"`
	Buckets        map[string]*Bucket       `json:"buckets"`
	Services       map[string]*Service      `json:"services"`
	DAGs           map[string]*DAG          `json:"dags"`
	Airflow        Airflow                  `json:"airflow"`
	GitOps         GitOps                   `json:"gitops"`

	// Env is the environment's name ("dev", "prod").
	Env string `json:"-"`
}

// Airflow locates the Airflow installation that runs the DAGs.
type Airflow struct {
	Namespace       string   `json:"namespace"`
	ServiceAccounts []string `json:"serviceAccounts"`
}

// GitOps says which controller applies the rendered manifests and where
// it finds them in git.
type GitOps struct {
	// Tool is "none", "argocd" or "flux".
	Tool    string `json:"tool"`
	RepoURL string `json:"repoURL"`
	Branch  string `json:"branch"`
	// Path is the output root as seen from the repository's root.
	Path   string         `json:"path"`
	ArgoCD ArgoCDSettings `json:"argocd"`
	Flux   FluxSettings   `json:"flux"`
}

// The GitOps tools pipec writes objects for.
const (
	GitOpsNone   = "none"
	GitOpsArgoCD = "argocd"
	GitOpsFlux   = "flux"
)

// ArgoCDSettings are the Argo CD specifics of GitOps.
type ArgoCDSettings struct {
	Project   string `json:"project"`
	Namespace string `json:"namespace"`
}

// FluxSettings are the Flux specifics of GitOps.
type FluxSettings struct {
	Namespace string `json:"namespace"`
	Interval  string `json:"interval"`
}

// Image is a container image built from source beside the spec.
type Image struct {
	Context      string            `json:"context"`
	Python       string            `json:"python"`
	Go           string            `json:"go"`
	Requirements string            `json:"requirements"`
	Copy         []string          `json:"copy"`
	Package      string            `json:"package"`
	Command      []string          `json:"command"`
	Env          map[string]string `json:"env"`
	User         int               `json:"user"`
	Tag          string            `json:"tag"`

	// Name is the image's key in the spec.
	Name string `json:"-"`
	// Ref is the full reference workloads run: Registry/Name:Tag, or
	// Registry/Name@sha256:... once locked.
	Ref string `json:"-"`
	// Repository is Registry/Name, without tag or digest.
	Repository string `json:"-"`
	// Digest is what pipec.lock pins Repository:Tag to in this
	// environment ("sha256:..."), or empty.
	Digest string `json:"-"`
}

// Runtime names the image's build recipe.
func (i *Image) Runtime() string {
	if i.Go != "" {
		return "go"
	}
	return "python"
}

// distroless is the final base of Go images: CA certificates, tzdata and
// a nonroot user, and nothing a shell could use.
const distroless = "gcr.io/distroless/static-debian12:nonroot"

// BaseImages lists the base images the image's Dockerfile builds FROM:
// the build stage's first, then the final stage's if it differs. They are
// named here, in the model, because three parties must agree on them: the
// Dockerfile target writes them, `pipec lock` pins them and the compiler
// checks requireDigests against them.
func (i *Image) BaseImages() []string {
	if i.Runtime() == "go" {
		return []string{"golang:" + i.Go + "-bookworm", distroless}
	}
	// One base for both stages, so the virtualenv's interpreter symlinks
	// and compiled extensions match the Python that runs them.
	return []string{"python:" + i.Python + "-slim-bookworm"}
}

// Topic is a Pub/Sub topic.
type Topic struct {
	Retention Duration          `json:"retention"`
	Labels    map[string]string `json:"labels"`
}

// Subscription is a Pub/Sub subscription: pull unless Push, BigQuery or
// CloudStorage is set.
type Subscription struct {
	Topic        string            `json:"topic"`
	AckDeadline  int               `json:"ackDeadline"`
	Retention    Duration          `json:"retention"`
	RetainAcked  bool              `json:"retainAcked"`
	Filter       string            `json:"filter"`
	Ordering     bool              `json:"ordering"`
	ExactlyOnce  bool              `json:"exactlyOnce"`
	Expiration   Duration          `json:"expiration"`
	Retry        *RetryPolicy      `json:"retry"`
	DeadLetter   *DeadLetter       `json:"deadLetter"`
	Push         *PushConfig       `json:"push"`
	BigQuery     *BigQueryDelivery `json:"bigquery"`
	CloudStorage *StorageDelivery  `json:"cloudStorage"`
	Labels       map[string]string `json:"labels"`
}

// RetryPolicy bounds the exponential backoff between redeliveries.
type RetryPolicy struct {
	MinBackoff Duration `json:"minBackoff"`
	MaxBackoff Duration `json:"maxBackoff"`
}

// DeadLetter forwards messages that failed MaxAttempts deliveries to Topic.
type DeadLetter struct {
	Topic       string `json:"topic"`
	MaxAttempts int    `json:"maxAttempts"`
}

// PushConfig delivers messages by HTTPS POST.
type PushConfig struct {
	Endpoint string `json:"endpoint"`
}

// BigQueryDelivery writes messages straight into a table.
type BigQueryDelivery struct {
	// Table is "dataset.table".
	Table         string `json:"table"`
	WriteMetadata bool   `json:"writeMetadata"`
}

// StorageDelivery writes messages into Cloud Storage objects.
type StorageDelivery struct {
	Bucket         string   `json:"bucket"`
	FilenamePrefix string   `json:"filenamePrefix"`
	MaxDuration    Duration `json:"maxDuration"`
}

// Dataset is a BigQuery dataset.
type Dataset struct {
	Location    string            `json:"location"`
	Description string            `json:"description"`
	Tables      map[string]*Table `json:"tables"`
}

// Table is a BigQuery table.
type Table struct {
	Description string     `json:"description"`
	Fields      []Field    `json:"fields"`
	Partition   *Partition `json:"partition"`
	Clustering  []string   `json:"clustering"`
}

// Field is a column of a BigQuery table schema.
type Field struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Mode        string  `json:"mode"`
	Description string  `json:"description,omitempty"`
	Fields      []Field `json:"fields,omitempty"`
}

// Partition is a table's time partitioning.
type Partition struct {
	Field      string   `json:"field"`
	By         string   `json:"by"`
	Expiration Duration `json:"expiration"`
}

// Bucket is a Cloud Storage bucket.
type Bucket struct {
	Location      string `json:"location"`
	StorageClass  string `json:"storageClass"`
	LifecycleDays int    `json:"lifecycleDays"`
}

// Service is a long-running workload: a Kubernetes Deployment.
type Service struct {
	Image      string            `json:"image"`
	Replicas   int               `json:"replicas"`
	Args       []string          `json:"args"`
	Publishes  []string          `json:"publishes"`
	Subscribes []string          `json:"subscribes"`
	Reads      []string          `json:"reads"`
	Writes     []string          `json:"writes"`
	Env        map[string]EnvVar `json:"env"`
	Resources  Resources         `json:"resources"`
	Port       int               `json:"port"`

	// Name is the service's key in the spec.
	Name string `json:"-"`
	// KubernetesServiceAccount names the workload's Kubernetes
	// ServiceAccount; GoogleServiceAccount is the email of the Google
	// service account it impersonates through Workload Identity. Both are
	// derived once by the compiler so every target agrees on them.
	KubernetesServiceAccount string `json:"-"`
	GoogleServiceAccount     string `json:"-"`
}

// EnvVar is a plain value, or a reference to a Secret Manager secret whose
// value is synced into the cluster and never written anywhere by pipec.
type EnvVar struct {
	Value  string
	Secret string
}

// UnmarshalJSON accepts the two forms the schema allows: "value" and
// {"secret": "name"}.
func (e *EnvVar) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = EnvVar{Value: s}
		return nil
	}
	var ref struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		return err
	}
	*e = EnvVar{Secret: ref.Secret}
	return nil
}

// Resources are a container's requests and memory limit.
type Resources struct {
	CPU         string `json:"cpu"`
	Memory      string `json:"memory"`
	MemoryLimit string `json:"memoryLimit"`
}

// DAG is an Airflow DAG whose tasks each run in their own image.
type DAG struct {
	// Schedule is a cron expression or preset; empty means manual only.
	Schedule   *string          `json:"schedule"`
	Start      string           `json:"start"`
	Catchup    bool             `json:"catchup"`
	Runner     string           `json:"runner"`
	Retries    int              `json:"retries"`
	RetryDelay Duration         `json:"retryDelay"`
	Timeout    Duration         `json:"timeout"`
	Tags       []string         `json:"tags"`
	Tasks      map[string]*Task `json:"tasks"`

	// ID is the DAG's key in the spec.
	ID string `json:"-"`
	// KubernetesServiceAccount and GoogleServiceAccount are the identity
	// the DAG's task pods run as, derived like a service's.
	KubernetesServiceAccount string `json:"-"`
	GoogleServiceAccount     string `json:"-"`
}

// Task is one step of a DAG, run in its own container.
type Task struct {
	Image       string            `json:"image"`
	Runner      string            `json:"runner"`
	Args        []string          `json:"args"`
	After       []string          `json:"after"`
	Group       string            `json:"group"`
	Pool        string            `json:"pool"`
	TriggerRule string            `json:"triggerRule"`
	Retries     *int              `json:"retries"`
	RetryDelay  Duration          `json:"retryDelay"`
	Timeout     Duration          `json:"timeout"`
	Reads       []string          `json:"reads"`
	Writes      []string          `json:"writes"`
	Env         map[string]EnvVar `json:"env"`
	Resources   *Resources        `json:"resources"`

	// ID is the task's key in the DAG.
	ID string `json:"-"`
}

// Duration is a span written the way people write it: "30s", "10m", "12h",
// "7d". The zero Duration means unset; Never means "never expires".
type Duration time.Duration

// Never is the Duration of an expiration that never happens.
const Never Duration = -1

// ParseDuration reads "never" or a whole number followed by s, m, h or d.
func ParseDuration(s string) (Duration, error) {
	if s == "never" {
		return Never, nil
	}
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	}
	if unit == 0 {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	var n int64
	for _, c := range s[:len(s)-1] {
		if c < '0' || c > '9' || n > 1e9 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		n = n*10 + int64(c-'0')
	}
	return Duration(time.Duration(n) * unit), nil
}

// UnmarshalJSON parses the string forms ParseDuration accepts.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Seconds is the duration in whole seconds.
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

// String writes the duration back in the spec's own form, largest unit first.
func (d Duration) String() string {
	switch {
	case d == Never:
		return "never"
	case d == 0:
		return "0s"
	}
	s := d.Seconds()
	for _, u := range []struct {
		secs int64
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if s%u.secs == 0 {
			return fmt.Sprintf("%d%s", s/u.secs, u.unit)
		}
	}
	return fmt.Sprintf("%ds", s)
}
