package gcp

import (
	"time"

	"github.com/pipec/pipec/internal/fixture"
	"github.com/pipec/pipec/schema"
)

func days(n int) schema.Duration { return schema.Duration(time.Duration(n) * 24 * time.Hour) }
func secs(n int) schema.Duration { return schema.Duration(time.Duration(n) * time.Second) }

// tweets is the tweets example with the project numbers the Pub/Sub
// service agent is named after (the compiler requires them for its
// BigQuery subscription and dead-letter topic).
func tweets() *schema.Spec {
	spec := fixture.Tweets()
	for i, p := range spec.Envs {
		p.ProjectNumber = []string{"482154217301", "482154217302"}[i]
	}
	return spec
}

// clicks exercises what the tweets example does not: every kind of
// delivery, a bucket, a DAG whose tasks read, write and hold secrets, a
// service that subscribes, IDs that are not Kubernetes names, and values
// that need quoting. It is built as the compiler would resolve it.
func clicks() *schema.Spec {
	const project = "clicks-prod-7731"
	p := &schema.Pipeline{
		Name: "clicks", Env: "prod", Project: project, ProjectNumber: "773100000042",
		Region: "europe-west1", Registry: "ghcr.io/example/clicks", Namespace: "clicks",
		Labels: map[string]string{"team": "growth"},
		Topics: map[string]*schema.Topic{
			"clicks":        {Retention: days(1), Labels: map[string]string{"tier": "gold"}},
			"clicks-failed": {Labels: map[string]string{}},
			"Audit_Log.v2":  {Labels: map[string]string{}},
		},
		Subscriptions: map[string]*schema.Subscription{
			"clicks-worker": {
				Topic: "clicks", AckDeadline: 60, Retention: days(2), Expiration: schema.Never,
				Filter:     `attributes.kind = "click" AND NOT attributes:note_'x'`,
				Retry:      &schema.RetryPolicy{MinBackoff: secs(5), MaxBackoff: secs(120)},
				DeadLetter: &schema.DeadLetter{Topic: "clicks-failed", MaxAttempts: 7},
				Labels:     map[string]string{},
			},
			"clicks-ordered": {
				Topic: "clicks", AckDeadline: 10, Retention: days(7), Expiration: days(2),
				RetainAcked: true, Ordering: true, ExactlyOnce: true,
				DeadLetter: &schema.DeadLetter{Topic: "clicks-failed", MaxAttempts: 5},
				Labels:     map[string]string{"tier": "silver"},
			},
			"clicks-push": {
				Topic: "clicks", AckDeadline: 20, Retention: days(1), Expiration: schema.Never,
				Push:   &schema.PushConfig{Endpoint: "https://hooks.example.com/clicks?x=1&y=2"},
				Labels: map[string]string{},
			},
			"clicks-to-bq": {
				Topic: "clicks", AckDeadline: 10, Retention: days(7), Expiration: schema.Never,
				BigQuery: &schema.BigQueryDelivery{Table: "web_events.Raw_Clicks", WriteMetadata: true},
				Labels:   map[string]string{},
			},
			"clicks-to-gcs": {
				Topic: "clicks", AckDeadline: 10, Retention: days(7), Expiration: schema.Never,
				CloudStorage: &schema.StorageDelivery{Bucket: "clicks-archive-7731", FilenamePrefix: "raw/", MaxDuration: secs(300)},
				Labels:       map[string]string{},
			},
			"Audit_Sub": {
				Topic: "Audit_Log.v2", AckDeadline: 10, Retention: days(7), Expiration: schema.Never,
				Labels: map[string]string{},
			},
		},
		Datasets: map[string]*schema.Dataset{"web_events": {
			Location: "EU", Description: "Clicks, as they 'arrive'.",
			Tables: map[string]*schema.Table{
				"Raw_Clicks": {
					Description: "One row per click message.",
					// What a BigQuery subscription that writes metadata
					// needs: the message in data, and its metadata.
					Fields: []schema.Field{
						{Name: "subscription_name", Type: "STRING", Mode: "NULLABLE"},
						{Name: "message_id", Type: "STRING", Mode: "NULLABLE"},
						{Name: "publish_time", Type: "TIMESTAMP", Mode: "NULLABLE"},
						{Name: "data", Type: "JSON", Mode: "NULLABLE"},
						{Name: "attributes", Type: "JSON", Mode: "NULLABLE"},
						{Name: "page", Type: "RECORD", Mode: "NULLABLE", Fields: []schema.Field{
							{Name: "url", Type: "STRING", Mode: "NULLABLE", Description: `Full "URL"`},
						}},
					},
					Partition:  &schema.Partition{Field: "publish_time", By: "HOUR", Expiration: days(90)},
					Clustering: []string{"message_id"},
				},
				"daily": {Fields: []schema.Field{{Name: "day", Type: "DATE", Mode: "REQUIRED"}}},
			},
		}},
		Buckets: map[string]*schema.Bucket{
			"clicks-archive-7731": {StorageClass: "NEARLINE", LifecycleDays: 365},
		},
		Services: map[string]*schema.Service{
			"worker": {
				Name: "worker", KubernetesServiceAccount: "worker",
				GoogleServiceAccount: "clicks-worker@" + project + ".iam.gserviceaccount.com",
				Publishes:            []string{"Audit_Log.v2"},
				Subscribes:           []string{"clicks-worker", "clicks-ordered"},
				Reads:                []string{"web_events.daily"},
				Env: map[string]schema.EnvVar{
					"API_TOKEN": {Secret: "worker-api-token"},
					"MODE":      {Value: "fast"},
				},
			},
		},
		DAGs: map[string]*schema.DAG{
			"daily_rollup": {
				ID: "daily_rollup", KubernetesServiceAccount: "dag-daily-rollup",
				GoogleServiceAccount: "clicks-dag-daily-rollup@" + project + ".iam.gserviceaccount.com",
				Tasks: map[string]*schema.Task{
					"extract": {ID: "extract", Reads: []string{"web_events.Raw_Clicks", "web_events.daily"}},
					"load": {ID: "load", Writes: []string{"web_events.daily"},
						Env: map[string]schema.EnvVar{"DB_PASSWORD": {Secret: "warehouse-password"}}},
				},
			},
		},
	}
	return &schema.Spec{Name: "clicks", Dir: "pipelines/clicks", SourceDir: "pipelines/clicks", Envs: []*schema.Pipeline{p}}
}
