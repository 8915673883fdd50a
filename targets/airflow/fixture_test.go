package airflow

import (
	"time"

	"github.com/pipec/pipec/schema"
)

func minutes(n int) schema.Duration { return schema.Duration(time.Duration(n) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// warehouse mirrors pipelines/warehouse as the compiler resolves it: a
// daily DAG whose tasks pin conflicting pandas and Python versions, in dev
// and in prod (another project, one more retry).
func warehouse() *schema.Spec {
	spec := &schema.Spec{Name: "warehouse", Dir: "pipelines/warehouse", SourceDir: "pipelines/warehouse"}
	for _, env := range []struct {
		name, project string
		retries       int
	}{{"dev", "warehouse-dev-4821", 2}, {"prod", "warehouse-prod-4821", 3}} {
		registry := "asia-northeast3-docker.pkg.dev/" + env.project + "/pipelines"
		image := func(name, python string, copy ...string) *schema.Image {
			return &schema.Image{
				Name: name, Context: name, Python: python, Requirements: "requirements.txt",
				Copy: copy, Package: ".", Command: []string{"python", copy[0]},
				Env: map[string]string{}, User: 65532, Tag: "latest",
				Repository: registry + "/" + name, Ref: registry + "/" + name + ":latest",
			}
		}
		p := &schema.Pipeline{
			Name: "warehouse", Env: env.name, Project: env.project, Region: "asia-northeast3",
			Registry: registry, Namespace: "warehouse-" + env.name, Labels: map[string]string{"team": "data"},
			Images: map[string]*schema.Image{
				"extract": image("extract", "3.10", "extract.py"),
				"revenue": image("revenue", "3.12", "revenue.py"),
				"check":   image("check", "3.12", "check.py"),
			},
			DAGs: map[string]*schema.DAG{"daily_revenue": {
				ID: "daily_revenue", Schedule: ptr("0 4 * * *"), Start: "2026-01-01", Runner: "kubernetes_pod",
				Retries: env.retries, RetryDelay: minutes(10), Tags: []string{"warehouse", "revenue"},
				KubernetesServiceAccount: "dag-daily-revenue",
				GoogleServiceAccount:     "warehouse-dag-daily-revenue@" + env.project + ".iam.gserviceaccount.com",
				Tasks: map[string]*schema.Task{
					"extract_orders": {
						ID: "extract_orders", Image: "extract", Group: "extract",
						Args:   []string{"orders", "--date", "{{ ds }}"},
						Writes: []string{"raw.orders"},
						Env: map[string]schema.EnvVar{
							"SHOP_API_URL":   {Value: "https://shop.example.com/api/v2"},
							"SHOP_API_TOKEN": {Secret: "shop-api-token"},
						},
						Resources: &schema.Resources{CPU: "250m", Memory: "512Mi", MemoryLimit: "512Mi"},
					},
					"extract_fx_rates": {
						ID: "extract_fx_rates", Image: "extract", Group: "extract",
						Args:   []string{"fx-rates", "--date", "{{ ds }}"},
						Writes: []string{"raw.fx_rates"},
						Env:    map[string]schema.EnvVar{"FX_API_URL": {Value: "https://api.frankfurter.app"}},
					},
					"build_revenue": {
						ID: "build_revenue", Image: "revenue", After: []string{"extract_orders", "extract_fx_rates"},
						Args:      []string{"--date", "{{ ds }}"},
						Reads:     []string{"raw.orders", "raw.fx_rates"},
						Writes:    []string{"mart.daily_revenue"},
						Timeout:   minutes(60),
						Resources: &schema.Resources{CPU: "1", Memory: "2Gi", MemoryLimit: "4Gi"},
					},
					"check_revenue": {
						ID: "check_revenue", Image: "check", After: []string{"build_revenue"},
						Args:    []string{"--date", "{{ ds }}"},
						Reads:   []string{"mart.daily_revenue"},
						Retries: ptr(0),
					},
				},
			}},
		}
		spec.Envs = append(spec.Envs, p)
	}
	return spec
}

// tricky are strings that a careless encoder would break or let through
// as code.
var tricky = []string{
	`"`, `'`, `\`, `\\`, `"""`, `'''`, `\"`, "a\nb", "line\r\nbreak", "tab\there", "nul\x00",
	"{{ ds }}", "{{ macros.ds_add(ds, -1) }}", "{% if true %}x{% endif %}", "{ not: a template }",
	`"); import os; os.system("id"); ("`, "\\N{BULLET}", `\x41`, "\u2028\u2029", "\u202e\u2066bidi",
	"ünïcödé ✓ 한국어", "\U0001F600", "\ufeff", "#not a comment", "f'{x}'", "run.sh", "vars.env",
}

// mixed is a DAG that uses every runner and feature: groups, a pool, a
// trigger rule, timeouts, a manual schedule, secrets in upper- and
// lower-case variables, task IDs that are Python keywords or the file's own
// names, and spec strings that must survive quoting exactly.
func mixed() *schema.Spec {
	spec := &schema.Spec{Name: "mixed", Dir: "testdata/mixed", SourceDir: "testdata/mixed"}
	registry := "europe-west1-docker.pkg.dev/mixed-dev-1234/pipelines"
	p := &schema.Pipeline{
		Name: "mixed", Env: "dev", Project: "mixed-dev-1234", Region: "europe-west1",
		Registry: registry, Namespace: "mixed-dev", Labels: map[string]string{},
		Images: map[string]*schema.Image{
			"tool": {
				Name: "tool", Context: "tool", Python: "3.12", Requirements: "requirements.txt",
				Copy: []string{"tool.py"}, Command: []string{"python", "tool.py"}, User: 10001, Tag: "latest",
				Repository: registry + "/tool",
				Ref:        registry + "/tool@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			},
			"airflow-tool": {
				Name: "airflow-tool", Context: "airflow-tool", Python: "3.12", Requirements: "requirements.txt",
				Copy: []string{"job.py"}, Command: []string{"python", "job.py"}, User: 50000, Tag: "v1",
				Repository: registry + "/airflow-tool", Ref: registry + "/airflow-tool:v1",
			},
			"bin": {
				Name: "bin", Context: "bin", Go: "1.24", Package: ".", Copy: []string{"main.go"}, User: 65532, Tag: "latest",
				Repository: registry + "/bin", Ref: registry + "/bin:latest",
			},
		},
		DAGs: map[string]*schema.DAG{
			// The least a DAG can say: no groups, secrets, retries or delays.
			"minimal": {
				ID: "minimal", Schedule: ptr("@daily"), Start: "2026-02-28", Runner: "kubernetes_pod",
				KubernetesServiceAccount: "dag-minimal",
				GoogleServiceAccount:     "mixed-dag-minimal@mixed-dev-1234.iam.gserviceaccount.com",
				Tasks:                    map[string]*schema.Task{"only": {Image: "bin"}},
			},
			"manual.mixed-runners": {
				ID: "manual.mixed-runners", Schedule: nil, Start: "2025-12-31", Catchup: true, Runner: "kubernetes_pod",
				Retries: 1, RetryDelay: minutes(5), Timeout: schema.Duration(90 * time.Second), Tags: tricky[:3],
				KubernetesServiceAccount: "dag-manual-mixed-runners",
				GoogleServiceAccount:     "mixed-dag-manual-mixed-r-1a2b@mixed-dev-1234.iam.gserviceaccount.com",
				Tasks: map[string]*schema.Task{
					"class": {Image: "tool", Args: tricky, Group: "g-1",
						Env: map[string]schema.EnvVar{
							"TRICKY":   {Value: `"); import os; os.system("id"); ("`},
							"API_KEY":  {Secret: "mixed-api-key"},
							"lower_pw": {Secret: "mixed-lower"},
						}},
					"k8s": {Image: "bin", After: []string{"class"}, Group: "g-1", Pool: "pool-a", TriggerRule: "all_done"},
					"super": {Image: "tool", Runner: "docker", After: []string{"class", "k8s"}, Args: []string{"run.sh", "{{ ds }}"},
						Env: map[string]schema.EnvVar{
							"PLAIN": {Value: "a\nb"}, "TOKEN": {Secret: "mixed-token"}, "GOOGLE_CLOUD_PROJECT": {Value: "other-project"},
						},
						Resources: &schema.Resources{CPU: "500m", Memory: "256Mi", MemoryLimit: "1Gi"}},
					"run-1": {Image: "airflow-tool", Runner: "kubernetes_executor", After: []string{"super"},
						Args: []string{"--day", "{{ ds }}", `quote"d`}, Retries: ptr(5), RetryDelay: minutes(1), Timeout: minutes(120),
						Env: map[string]schema.EnvVar{
							"MODE": {Value: "{{ dag_run.conf.get('mode', 'full') }}"}, "DB_PASSWORD": {Secret: "mixed-db-password"},
						},
						Resources: &schema.Resources{CPU: "2", Memory: "1Gi", MemoryLimit: "1Gi"}},
					"run_1": {Image: "tool", After: []string{"run-1", "run-1"}, Reads: []string{"ds.t"}},
					"1st":   {Image: "tool", Runner: "docker"},
				},
			},
		},
	}
	spec.Envs = append(spec.Envs, p)
	return spec
}
