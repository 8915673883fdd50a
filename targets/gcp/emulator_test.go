package gcp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipec/pipec/schema"
)

const emulatorProject = "pipec-emulator-test"

// emulatorSpec is what the Pub/Sub emulator can hold: topics and pull
// subscriptions with every setting it supports.
func emulatorSpec() *schema.Spec {
	p := &schema.Pipeline{
		Name: "events", Env: "test", Project: emulatorProject, ProjectNumber: "123456789012",
		Region: "europe-west1", Registry: "ghcr.io/example/events", Namespace: "events-test",
		Labels: map[string]string{"team": "growth"},
		Topics: map[string]*schema.Topic{
			"events":             {Retention: days(1), Labels: map[string]string{"tier": "gold"}},
			"events-dead-letter": {Labels: map[string]string{}},
			"Audit_Log.v2":       {Retention: schema.Duration(10 * time.Minute), Labels: map[string]string{}},
		},
		Subscriptions: map[string]*schema.Subscription{
			"events-pull": {
				Topic: "events", AckDeadline: 30, Retention: days(2), Expiration: schema.Never,
				Filter:     `attributes.kind = "click"`,
				Retry:      &schema.RetryPolicy{MinBackoff: secs(5), MaxBackoff: secs(120)},
				DeadLetter: &schema.DeadLetter{Topic: "events-dead-letter", MaxAttempts: 7},
				Labels:     map[string]string{"tier": "silver"},
			},
			"events-ordered": {
				Topic: "events", AckDeadline: 10, Retention: days(7), Expiration: days(2),
				RetainAcked: true, Ordering: true, ExactlyOnce: true, Labels: map[string]string{},
			},
			"Audit_Sub": {
				Topic: "Audit_Log.v2", AckDeadline: 600, Retention: schema.Duration(10 * time.Minute), Expiration: schema.Never,
				Filter: `attributes.note = "it's $HOME"`, Labels: map[string]string{},
			},
		},
		Datasets: map[string]*schema.Dataset{}, Buckets: map[string]*schema.Bucket{},
		Services: map[string]*schema.Service{}, DAGs: map[string]*schema.DAG{},
	}
	return &schema.Spec{Name: "events", Dir: "pipelines/events", SourceDir: "pipelines/events", Envs: []*schema.Pipeline{p}}
}

// TestApplyAgainstPubSubEmulator runs the generated apply.sh against the
// real Pub/Sub emulator, reads back what it created, runs it again to see
// nothing change, and sends a message through.
//
// The emulator implements topics and subscriptions only: it has no IAM
// and does not deliver to BigQuery or Cloud Storage, so the script runs
// with --only pubsub and those parts are not exercised here (the stubbed
// script tests check their commands).
func TestApplyAgainstPubSubEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Pub/Sub emulator; skipped with -short")
	}
	var tools []string
	for _, tool := range []string{"gcloud", "java", "bash"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not found on PATH: the Pub/Sub emulator test needs gcloud (with the pubsub-emulator component), Java and bash", tool)
		}
		tools = append(tools, path)
	}
	gcloud, bash := tools[0], tools[2]
	t.Log("the emulator has no IAM and no BigQuery or Cloud Storage delivery: apply.sh runs with --only pubsub, and those are not exercised")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	host := "127.0.0.1:" + freePort(t)
	env := emulatorEnv(dir, host)
	start := time.Now()
	startEmulator(t, ctx, gcloud, dir, host, env)
	t.Logf("emulator ready on %s in %s", host, time.Since(start).Round(time.Millisecond))

	script := filepath.Join(dir, "apply.sh")
	for _, f := range generate(t, emulatorSpec()) {
		if filepath.Base(f.Path) == "apply.sh" {
			if err := os.WriteFile(script, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	apply := func(args ...string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.CommandContext(ctx, bash, append([]string{script}, args...)...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("bash apply.sh %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		t.Logf("bash apply.sh %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		return out.String()
	}
	api := &emulatorAPI{t: t, ctx: ctx, base: "http://" + host + "/v1/projects/" + emulatorProject}

	// A dry run prints what it would create and creates nothing.
	out := apply("--dry-run", "--only", "pubsub")
	if !strings.Contains(out, "+ gcloud pubsub subscriptions create events-pull ") {
		t.Errorf("dry run does not print the creation:\n%s", out)
	}
	if got := api.get("/topics")["topics"]; got != nil {
		t.Fatalf("the dry run created topics: %v", got)
	}

	apply("--only", "pubsub")
	state := func() string {
		var b strings.Builder
		for _, path := range []string{"/topics/events", "/topics/events-dead-letter", "/topics/Audit_Log.v2",
			"/subscriptions/events-pull", "/subscriptions/events-ordered", "/subscriptions/Audit_Sub"} {
			j, _ := json.Marshal(api.get(path))
			fmt.Fprintf(&b, "%s %s\n", path, j)
		}
		return b.String()
	}
	first := state()

	topic := api.get("/topics/events")
	pull := api.get("/subscriptions/events-pull")
	ordered := api.get("/subscriptions/events-ordered")
	audit := api.get("/subscriptions/Audit_Sub")
	for _, c := range []struct {
		obj  map[string]any
		keys []string
		want any
	}{
		{topic, []string{"messageRetentionDuration"}, "86400s"},
		{topic, []string{"labels", "tier"}, "gold"},
		{topic, []string{"labels", "managed-by"}, "pipec"},
		{api.get("/topics/Audit_Log.v2"), []string{"messageRetentionDuration"}, "600s"},
		{pull, []string{"topic"}, "projects/" + emulatorProject + "/topics/events"},
		{pull, []string{"ackDeadlineSeconds"}, float64(30)},
		{pull, []string{"messageRetentionDuration"}, "172800s"},
		{pull, []string{"filter"}, `attributes.kind = "click"`},
		{pull, []string{"deadLetterPolicy", "deadLetterTopic"}, "projects/" + emulatorProject + "/topics/events-dead-letter"},
		{pull, []string{"deadLetterPolicy", "maxDeliveryAttempts"}, float64(7)},
		{pull, []string{"retryPolicy", "minimumBackoff"}, "5s"},
		{pull, []string{"retryPolicy", "maximumBackoff"}, "120s"},
		{pull, []string{"labels", "tier"}, "silver"},
		{ordered, []string{"retainAckedMessages"}, true},
		{ordered, []string{"enableMessageOrdering"}, true},
		{ordered, []string{"enableExactlyOnceDelivery"}, true},
		{ordered, []string{"expirationPolicy", "ttl"}, "172800s"},
		{ordered, []string{"ackDeadlineSeconds"}, float64(10)},
		{audit, []string{"filter"}, `attributes.note = "it's $HOME"`},
		{audit, []string{"ackDeadlineSeconds"}, float64(600)},
	} {
		if got := get(c.obj, c.keys...); got != c.want {
			t.Errorf("%s %s = %#v, want %#v", c.obj["name"], strings.Join(c.keys, "."), got, c.want)
		}
	}

	// Running it again finds everything as the spec wants it: no
	// command runs and nothing changes.
	out = apply("--only", "pubsub")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "= ") || !strings.HasSuffix(line, ": up to date") {
			t.Errorf("second run: %q, want only up-to-date reports", line)
		}
	}
	if n := strings.Count(out, "up to date"); n != 6 {
		t.Errorf("second run reported %d resources up to date, want 6:\n%s", n, out)
	}
	if second := state(); second != first {
		t.Errorf("the second run changed the resources:\n%s\nthen:\n%s", first, second)
	}

	// A message goes through. The emulator stores a subscription's filter
	// but does not apply it, so only a message the filter accepts is sent:
	// whether Pub/Sub filters is not for this test to say.
	api.post("/topics/events:publish", map[string]any{"messages": []any{
		map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("a click")), "attributes": map[string]string{"kind": "click"}},
	}})
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		resp := api.post("/subscriptions/events-pull:pull", map[string]any{"maxMessages": 10})
		msgs, _ := resp["receivedMessages"].([]any)
		var acks []string
		for _, m := range msgs {
			m := m.(map[string]any)
			data, _ := base64.StdEncoding.DecodeString(str(m, "message", "data"))
			got = append(got, string(data))
			acks = append(acks, str(m, "ackId"))
		}
		if len(acks) > 0 {
			api.post("/subscriptions/events-pull:acknowledge", map[string]any{"ackIds": acks})
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(got) != 1 || got[0] != "a click" {
		t.Errorf("pulled %q, want [\"a click\"]", got)
	}
}

// emulatorEnv points gcloud at the emulator, with a configuration of its
// own (never the user's) and no credentials.
func emulatorEnv(dir, host string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDSDK_") && !strings.HasPrefix(kv, "PUBSUB_EMULATOR_HOST=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"CLOUDSDK_CONFIG="+filepath.Join(dir, "gcloud"),
		"CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB=http://"+host+"/",
		"CLOUDSDK_CORE_PROJECT="+emulatorProject,
		// No network beyond the emulator: no metadata server probe, no
		// update check, no usage report.
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
	)
}

// startEmulator starts the emulator in its own process group, so that
// stopping it also stops the Java process it spawns, and waits until it
// answers.
func startEmulator(t *testing.T, ctx context.Context, gcloud, dir, host string, env []string) {
	t.Helper()
	data := filepath.Join(dir, "emulator")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gcloud, "beta", "emulators", "pubsub", "start",
		"--host-port="+host, "--project="+emulatorProject, "--data-dir="+data)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		signalGroup(cmd, false)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			signalGroup(cmd, true)
			<-exited
		}
		if t.Failed() {
			// The emulator logs every request; the end is what matters.
			l := log.String()
			t.Logf("emulator log (end):\n%s", l[max(0, len(l)-4000):])
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the emulator exited: %v\n%s", err, log.String())
		case <-ctx.Done():
			t.Fatalf("the emulator did not start: %v", ctx.Err())
		default:
		}
		if resp, err := client.Get("http://" + host + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not answer on %s within 60s:\n%s", host, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freePort asks the kernel for a port nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// emulatorAPI reads and writes through the emulator's REST API, a second
// opinion independent of gcloud.
type emulatorAPI struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (a *emulatorAPI) get(path string) map[string]any { return a.do(http.MethodGet, path, nil) }

func (a *emulatorAPI) post(path string, body any) map[string]any {
	return a.do(http.MethodPost, path, body)
}

func (a *emulatorAPI) do(method, path string, body any) map[string]any {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		a.t.Fatalf("%s %s: %s %v\n%s", method, path, resp.Status, err, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		a.t.Fatalf("%s %s: %v\n%s", method, path, err, data)
	}
	return out
}
