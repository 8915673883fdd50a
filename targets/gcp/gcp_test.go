package gcp

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipec/pipec/internal/crdcheck"
	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func generate(t *testing.T, spec *schema.Spec) []targets.File {
	t.Helper()
	files, err := Target{}.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// objects decodes every YAML file, keyed by path.
func objects(t *testing.T, files []targets.File) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		docs, err := manifest.Decode(f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if len(docs) != 1 {
			t.Fatalf("%s holds %d objects, want one per file", f.Path, len(docs))
		}
		out[f.Path] = docs[0]
	}
	return out
}

func get(obj map[string]any, keys ...string) any {
	var v any = obj
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(obj map[string]any, keys ...string) string {
	s, _ := get(obj, keys...).(string)
	return s
}

// kccCRDs loads the Config Connector CRDs, which live beside the
// repository (../shared/kcc-crds from its root) rather than in it.
func kccCRDs(t *testing.T) crdcheck.Set {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "kcc-crds")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Config Connector CRDs not found at %s (they sit beside the repository, at ../shared/kcc-crds from its root; CI has them): %v", dir, err)
	}
	set, err := crdcheck.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestObjectsValidateAgainstCRDs checks every generated object against the
// openAPIV3Schema of its Config Connector CRD, as a cluster would on
// apply: unknown fields, required fields, oneOf, patterns.
func TestObjectsValidateAgainstCRDs(t *testing.T) {
	set := kccCRDs(t)
	for _, spec := range []*schema.Spec{tweets(), clicks()} {
		objs := objects(t, generate(t, spec))
		kinds := map[string]int{}
		for _, p := range slices.Sorted(maps.Keys(objs)) {
			kinds[str(objs[p], "kind")]++
			if err := set.Validate(objs[p]); err != nil {
				t.Errorf("%s:\n%v", p, err)
			}
		}
		t.Logf("%s: %d objects validated: %v", spec.Name, len(objs), kinds)
	}
}

// TestCRDCheckRejectsBrokenObjects shows the check above can fail: the
// mistakes a generator could make are caught.
func TestCRDCheckRejectsBrokenObjects(t *testing.T) {
	set := kccCRDs(t)
	objs := objects(t, generate(t, clicks()))
	sub := objs["clicks/gcp/prod/pubsubsubscription-clicks-worker.yaml"]
	member := objs["clicks/gcp/prod/iampolicymember-clicks-worker.pubsub-publisher.audit-log-v2-a203.yaml"]
	if sub == nil || member == nil {
		t.Fatalf("objects not found among %v", slices.Sorted(maps.Keys(objs)))
	}
	for _, c := range []struct {
		name   string
		obj    map[string]any
		break_ func(map[string]any)
		want   string
	}{
		{"unknown field", sub, func(o map[string]any) { o["spec"].(map[string]any)["ackDeadline"] = 10 }, "unknown field"},
		{"missing required", sub, func(o map[string]any) { delete(o["spec"].(map[string]any), "topicRef") }, "topicRef"},
		{"oneOf", sub, func(o map[string]any) {
			o["spec"].(map[string]any)["topicRef"].(map[string]any)["external"] = "projects/p/topics/t"
		}, "topicRef"},
		{"pattern", member, func(o map[string]any) { o["spec"].(map[string]any)["role"] = "pubsub.publisher" }, "role"},
		{"bad name", member, func(o map[string]any) { o["metadata"].(map[string]any)["name"] = "Audit_Log" }, "metadata.name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := deepCopy(c.obj)
			c.break_(o)
			err := set.Validate(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error about %s", err, c.want)
			}
		})
	}
}

// TestIAM checks the permissions against what each workload declares:
// exactly these grants, each on the one resource it concerns, and never a
// basic role or an authoritative policy.
func TestIAM(t *testing.T) {
	spec := clicks()
	p := spec.Envs[0]
	objs := objects(t, generate(t, spec))
	// Which kind of resource each role may be granted on: the narrowest
	// that carries its permissions.
	narrowest := map[string]string{
		rolePublisher:        "PubSubTopic",
		roleSubscriber:       "PubSubSubscription",
		roleDataViewer:       "BigQueryTable",
		roleDataEditor:       "BigQueryTable",
		roleObjectCreator:    "StorageBucket",
		roleBucketReader:     "StorageBucket",
		roleSecretAccessor:   "SecretManagerSecret",
		roleWorkloadIdentity: "IAMServiceAccount",
		// Jobs exist only in a project: jobUser has no narrower home.
		roleJobUser: "Project",
	}
	byName := map[string]map[string]any{}
	for _, o := range objs {
		byName[str(o, "kind")+"/"+str(o, "metadata", "name")] = o
	}
	var got []string
	for _, path := range slices.Sorted(maps.Keys(objs)) {
		o := objs[path]
		switch kind := str(o, "kind"); kind {
		case "IAMPolicy", "IAMPartialPolicy":
			t.Errorf("%s: %s is authoritative; pipec only adds bindings", path, kind)
		case "IAMPolicyMember":
			role, member := str(o, "spec", "role"), str(o, "spec", "member")
			refKind := str(o, "spec", "resourceRef", "kind")
			if role == "roles/owner" || role == "roles/editor" || role == "roles/viewer" {
				t.Errorf("%s: basic role %s", path, role)
			}
			if want, ok := narrowest[role]; !ok {
				t.Errorf("%s: unexpected role %s", path, role)
			} else if refKind != want {
				t.Errorf("%s: %s granted on a %s, want on a %s", path, role, refKind, want)
			}
			target := str(o, "spec", "resourceRef", "external")
			if n := str(o, "spec", "resourceRef", "name"); n != "" {
				ref := byName[refKind+"/"+n]
				if ref == nil {
					t.Errorf("%s: resourceRef %s/%s is not in the bundle", path, refKind, n)
					continue
				}
				target = refKind + " " + str(ref, "spec", "resourceID")
			}
			got = append(got, member+" "+role+" "+target)
		}
	}
	sa := func(id string) string { return "serviceAccount:" + id + "@clicks-prod-7731.iam.gserviceaccount.com" }
	agent := "serviceAccount:service-773100000042@gcp-sa-pubsub.iam.gserviceaccount.com"
	want := []string{
		// Workload Identity: each Kubernetes ServiceAccount, in the
		// pipeline's namespace, acts as its own Google account.
		"serviceAccount:clicks-prod-7731.svc.id.goog[clicks/worker] " + roleWorkloadIdentity + " IAMServiceAccount clicks-worker",
		"serviceAccount:clicks-prod-7731.svc.id.goog[clicks/dag-daily-rollup] " + roleWorkloadIdentity + " IAMServiceAccount clicks-dag-daily-rollup",
		// The service: publishes, subscribes, reads, and one secret.
		sa("clicks-worker") + " " + rolePublisher + " PubSubTopic Audit_Log.v2",
		sa("clicks-worker") + " " + roleSubscriber + " PubSubSubscription clicks-worker",
		sa("clicks-worker") + " " + roleSubscriber + " PubSubSubscription clicks-ordered",
		sa("clicks-worker") + " " + roleDataViewer + " BigQueryTable daily",
		sa("clicks-worker") + " " + roleJobUser + " projects/clicks-prod-7731",
		sa("clicks-worker") + " " + roleSecretAccessor + " projects/clicks-prod-7731/secrets/worker-api-token",
		// The DAG: the union of its tasks; daily is read and written,
		// so it gets the editor role only.
		sa("clicks-dag-daily-rollup") + " " + roleDataViewer + " BigQueryTable Raw_Clicks",
		sa("clicks-dag-daily-rollup") + " " + roleDataEditor + " BigQueryTable daily",
		sa("clicks-dag-daily-rollup") + " " + roleJobUser + " projects/clicks-prod-7731",
		sa("clicks-dag-daily-rollup") + " " + roleSecretAccessor + " projects/clicks-prod-7731/secrets/warehouse-password",
		// The Pub/Sub service agent: BigQuery and Cloud Storage delivery,
		// and dead-lettering for the two subscriptions that have it (one
		// publisher grant on their shared dead-letter topic).
		agent + " " + roleDataEditor + " BigQueryTable Raw_Clicks",
		agent + " " + roleObjectCreator + " StorageBucket clicks-archive-7731",
		agent + " " + roleBucketReader + " StorageBucket clicks-archive-7731",
		agent + " " + rolePublisher + " PubSubTopic clicks-failed",
		agent + " " + roleSubscriber + " PubSubSubscription clicks-worker",
		agent + " " + roleSubscriber + " PubSubSubscription clicks-ordered",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("grants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The Workload Identity member names the Kubernetes ServiceAccount the
	// Kubernetes target annotates, from the model, for every workload.
	for _, ksa := range []string{p.Services["worker"].KubernetesServiceAccount, p.DAGs["daily_rollup"].KubernetesServiceAccount} {
		m := fmt.Sprintf("serviceAccount:%s.svc.id.goog[%s/%s]", p.Project, p.Namespace, ksa)
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, m+" ") }) {
			t.Errorf("no Workload Identity binding for %s", m)
		}
	}
	// Each workload's account has the ID its email says.
	for _, email := range []string{p.Services["worker"].GoogleServiceAccount, p.DAGs["daily_rollup"].GoogleServiceAccount} {
		id, _, _ := strings.Cut(email, "@")
		o := byName["IAMServiceAccount/"+id]
		if o == nil || str(o, "spec", "resourceID") != id {
			t.Errorf("no IAMServiceAccount with resourceID %s for %s", id, email)
		}
	}
}

// TestDataIsAbandoned checks that deleting a spec never deletes data:
// everything that stores it is abandoned rather than deleted.
func TestDataIsAbandoned(t *testing.T) {
	objs := objects(t, generate(t, clicks()))
	for _, path := range slices.Sorted(maps.Keys(objs)) {
		o := objs[path]
		kind := str(o, "kind")
		holdsData := map[string]bool{
			"BigQueryDataset": true, "BigQueryTable": true, "StorageBucket": true,
			"PubSubSubscription": true, "ArtifactRegistryRepository": true,
		}[kind] || kind == "PubSubTopic" && get(o, "spec", "messageRetentionDuration") != nil
		policy := str(o, "metadata", "annotations", "cnrm.cloud.google.com/deletion-policy")
		if holdsData != (policy == "abandon") {
			t.Errorf("%s: deletion-policy %q, holds data: %v", path, policy, holdsData)
		}
		if got := str(o, "metadata", "annotations", "cnrm.cloud.google.com/project-id"); got != "clicks-prod-7731" {
			t.Errorf("%s: project-id annotation %q", path, got)
		}
		labels, _ := get(o, "metadata", "labels").(map[string]any)
		if labels["managed-by"] != "pipec" || labels["team"] != "growth" {
			t.Errorf("%s: labels %v, want the pipeline's and managed-by: pipec", path, labels)
		}
	}
}

// TestResources checks the values a cluster cannot check for us: the
// fields the spec sets arrive where the API expects them.
func TestResources(t *testing.T) {
	objs := objects(t, generate(t, clicks()))
	dir := "clicks/gcp/prod/"
	obj := func(file string) map[string]any {
		t.Helper()
		o := objs[dir+file]
		if o == nil {
			t.Fatalf("%s not generated; have %v", file, slices.Sorted(maps.Keys(objs)))
		}
		return o
	}
	worker := obj("pubsubsubscription-clicks-worker.yaml")
	for _, c := range []struct {
		obj  map[string]any
		keys []string
		want any
	}{
		{worker, []string{"spec", "resourceID"}, "clicks-worker"},
		{worker, []string{"spec", "topicRef", "name"}, "clicks"},
		{worker, []string{"spec", "ackDeadlineSeconds"}, int64(60)},
		{worker, []string{"spec", "messageRetentionDuration"}, "172800s"},
		{worker, []string{"spec", "filter"}, `attributes.kind = "click" AND NOT attributes:note_'x'`},
		{worker, []string{"spec", "retryPolicy", "minimumBackoff"}, "5s"},
		{worker, []string{"spec", "retryPolicy", "maximumBackoff"}, "120s"},
		{worker, []string{"spec", "deadLetterPolicy", "deadLetterTopicRef", "name"}, "clicks-failed"},
		{worker, []string{"spec", "deadLetterPolicy", "maxDeliveryAttempts"}, int64(7)},
		{worker, []string{"spec", "expirationPolicy", "ttl"}, ""},
		{obj("pubsubsubscription-clicks-ordered.yaml"), []string{"spec", "expirationPolicy", "ttl"}, "172800s"},
		{obj("pubsubsubscription-clicks-ordered.yaml"), []string{"spec", "enableMessageOrdering"}, true},
		{obj("pubsubsubscription-clicks-ordered.yaml"), []string{"spec", "enableExactlyOnceDelivery"}, true},
		{obj("pubsubsubscription-clicks-ordered.yaml"), []string{"spec", "retainAckedMessages"}, true},
		{obj("pubsubsubscription-clicks-ordered.yaml"), []string{"metadata", "labels", "tier"}, "silver"},
		{obj("pubsubsubscription-clicks-push.yaml"), []string{"spec", "pushConfig", "pushEndpoint"}, "https://hooks.example.com/clicks?x=1&y=2"},
		{obj("pubsubsubscription-clicks-to-bq.yaml"), []string{"spec", "bigqueryConfig", "tableRef", "name"}, "web-events.raw-clicks-52d7"},
		{obj("pubsubsubscription-clicks-to-bq.yaml"), []string{"spec", "bigqueryConfig", "writeMetadata"}, true},
		{obj("pubsubsubscription-clicks-to-gcs.yaml"), []string{"spec", "cloudStorageConfig", "bucketRef", "name"}, "clicks-archive-7731"},
		{obj("pubsubsubscription-clicks-to-gcs.yaml"), []string{"spec", "cloudStorageConfig", "maxDuration"}, "300s"},
		{obj("pubsubsubscription-clicks-to-gcs.yaml"), []string{"spec", "cloudStorageConfig", "filenamePrefix"}, "raw/"},
		{obj("pubsubsubscription-audit-sub-d7a8.yaml"), []string{"spec", "resourceID"}, "Audit_Sub"},
		{obj("pubsubsubscription-audit-sub-d7a8.yaml"), []string{"spec", "topicRef", "name"}, "audit-log-v2-a203"},
		{obj("pubsubtopic-clicks.yaml"), []string{"spec", "messageRetentionDuration"}, "86400s"},
		{obj("pubsubtopic-clicks.yaml"), []string{"metadata", "labels", "tier"}, "gold"},
		{obj("pubsubtopic-audit-log-v2-a203.yaml"), []string{"spec", "resourceID"}, "Audit_Log.v2"},
		{obj("bigquerydataset-web-events.yaml"), []string{"spec", "resourceID"}, "web_events"},
		{obj("bigquerydataset-web-events.yaml"), []string{"spec", "location"}, "EU"},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "resourceID"}, "Raw_Clicks"},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "datasetRef", "name"}, "web-events"},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "schema"},
			`[{"name":"subscription_name","type":"STRING","mode":"NULLABLE"},{"name":"message_id","type":"STRING","mode":"NULLABLE"},` +
				`{"name":"publish_time","type":"TIMESTAMP","mode":"NULLABLE"},{"name":"data","type":"JSON","mode":"NULLABLE"},` +
				`{"name":"attributes","type":"JSON","mode":"NULLABLE"},` +
				`{"name":"page","type":"RECORD","mode":"NULLABLE","fields":[{"name":"url","type":"STRING","mode":"NULLABLE","description":"Full \"URL\""}]}]`},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "timePartitioning", "type"}, "HOUR"},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "timePartitioning", "field"}, "publish_time"},
		{obj("bigquerytable-web-events.raw-clicks-52d7.yaml"), []string{"spec", "timePartitioning", "expirationMs"}, int64(90 * 86400 * 1000)},
		{obj("storagebucket-clicks-archive-7731.yaml"), []string{"spec", "uniformBucketLevelAccess"}, true},
		{obj("storagebucket-clicks-archive-7731.yaml"), []string{"spec", "publicAccessPrevention"}, "enforced"},
		{obj("storagebucket-clicks-archive-7731.yaml"), []string{"spec", "location"}, "europe-west1"},
		{obj("storagebucket-clicks-archive-7731.yaml"), []string{"spec", "storageClass"}, "NEARLINE"},
	} {
		if got := get(c.obj, c.keys...); fmt.Sprint(got) != fmt.Sprint(c.want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", c.want) {
			t.Errorf("%s %s: %#v, want %#v", str(c.obj, "metadata", "name"), strings.Join(c.keys, "."), got, c.want)
		}
	}
	// The registry is GHCR: no Artifact Registry repository to create.
	for p := range objs {
		if strings.Contains(p, "artifactregistryrepository") {
			t.Errorf("%s generated for registry ghcr.io", p)
		}
	}
}

func TestRegistry(t *testing.T) {
	for _, c := range []struct{ registry, location, project, repo string }{
		{"asia-northeast3-docker.pkg.dev/tweets-dev-4821/pipelines", "asia-northeast3", "tweets-dev-4821", "pipelines"},
		{"us-docker.pkg.dev/my-project-1/images", "us", "my-project-1", "images"},
		{"europe-west1-docker.pkg.dev/other-project/repo/sub", "", "", ""},
		{"gcr.io/my-project", "", "", ""},
		{"ghcr.io/example/clicks", "", "", ""},
	} {
		r := parseRegistry(&schema.Pipeline{Registry: c.registry})
		var got [3]string
		if r != nil {
			got = [3]string{r.location, r.project, r.id}
		}
		if want := [3]string{c.location, c.project, c.repo}; got != want {
			t.Errorf("%s: %v, want %v", c.registry, got, want)
		}
	}
}

// TestProjectNumberRequired: the Pub/Sub service agent is named after the
// project number, so without it there is no honest grant to write. The
// compiler rejects such specs; reaching the target without one is a bug.
func TestProjectNumberRequired(t *testing.T) {
	spec := tweets()
	spec.Envs[1].ProjectNumber = ""
	_, err := Target{}.Generate(spec)
	if err == nil || !strings.Contains(err.Error(), `environment "prod"`) || !strings.Contains(err.Error(), "projectNumber") {
		t.Fatalf("got %v, want an error naming prod and projectNumber", err)
	}
}

// TestFiles checks the layout: one file per object under
// <pipeline>/gcp/<env>/, each marked as generated and tagged with its
// environment, and apply.sh with the marker on line 2.
func TestFiles(t *testing.T) {
	spec := tweets()
	files := generate(t, spec)
	marker := targets.Marker(spec)
	envs := map[string]int{}
	for _, f := range files {
		dir, file := path.Split(f.Path)
		if want := "tweets/gcp/" + f.Env + "/"; dir != want {
			t.Errorf("%s: in %s, want %s", f.Path, dir, want)
		}
		envs[f.Env]++
		lines := strings.SplitN(string(f.Data), "\n", 3)
		switch {
		case file == "apply.sh":
			if lines[0] != "#!/usr/bin/env bash" || lines[1] != "# "+marker {
				t.Errorf("%s starts %q", f.Path, lines[:2])
			}
		case lines[0] != "# "+marker:
			t.Errorf("%s starts %q", f.Path, lines[0])
		}
	}
	if envs["dev"] != envs["prod"] || envs["dev"] < 10 || len(envs) != 2 {
		t.Errorf("files per environment: %v", envs)
	}
}

func TestDeterministic(t *testing.T) {
	for _, spec := range []func() *schema.Spec{tweets, clicks} {
		a, b := generate(t, spec()), generate(t, spec())
		if len(a) != len(b) {
			t.Fatalf("%d files, then %d", len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) || a[i].Env != b[i].Env {
				t.Errorf("%s differs between two runs", a[i].Path)
			}
		}
	}
}

// TestGolden compares the dev environment of the tweets example with
// testdata/tweets/gcp/dev/: read it to review what pipec asks of Google
// Cloud. Run with -update to rewrite it, then read the diff.
func TestGolden(t *testing.T) {
	var files []targets.File
	for _, f := range generate(t, tweets()) {
		if f.Env == "dev" {
			files = append(files, f)
		}
	}
	root := filepath.Join("testdata", "tweets", "gcp", "dev")
	if *update {
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, f := range files {
		golden := filepath.Join("testdata", filepath.FromSlash(f.Path))
		want = append(want, filepath.Base(golden))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(data, f.Data) {
			t.Errorf("%s differs from %s (run go test -update and read the diff):\n%s", f.Path, golden, f.Data)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	if !slices.Equal(have, want) {
		t.Errorf("golden files %v, generated %v", have, want)
	}
}

func deepCopy(v map[string]any) map[string]any {
	out := map[string]any{}
	for k, x := range v {
		if m, ok := x.(map[string]any); ok {
			out[k] = deepCopy(m)
		} else {
			out[k] = x
		}
	}
	return out
}
