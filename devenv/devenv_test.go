package devenv

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipec/pipec/schema"
)

func spec() *schema.Pipeline {
	return &schema.Pipeline{
		Name: "shop", Env: "dev", Project: "shop-dev-123",
		Topics: map[string]*schema.Topic{
			"orders":             {Retention: schema.Duration(24 * time.Hour)},
			"orders-dead-letter": {},
		},
		Subscriptions: map[string]*schema.Subscription{
			"orders-pull": {
				Topic: "orders", AckDeadline: 30, Filter: `attributes.kind = "order"`,
				Retry:      &schema.RetryPolicy{MinBackoff: schema.Duration(5 * time.Second), MaxBackoff: schema.Duration(60 * time.Second)},
				DeadLetter: &schema.DeadLetter{Topic: "orders-dead-letter", MaxAttempts: 5},
			},
			"orders-to-bigquery": {Topic: "orders", AckDeadline: 10, BigQuery: &schema.BigQueryDelivery{Table: "sales.orders"}},
		},
		Services: map[string]*schema.Service{
			"web": {Env: map[string]schema.EnvVar{
				"MODE":  {Value: "it's local"},
				"TOKEN": {Secret: "shop-token"},
			}},
		},
	}
}

// TestUpOnTheEmulator starts the real Pub/Sub emulator, runs Up twice and
// sends a message through what it created.
func TestUpOnTheEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Pub/Sub emulator; skipped with -short")
	}
	for _, tool := range []string{"gcloud", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found on PATH: this test needs gcloud with the pubsub-emulator component, and Java", tool)
		}
	}
	// A configuration of the test's own, never the user's, and no network
	// beyond the emulator.
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	t.Setenv("CLOUDSDK_CORE_CHECK_GCE_METADATA", "false")
	t.Setenv("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
	t.Setenv("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	s, err := Start(ctx, "", "shop-dev-123")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			l, _ := os.ReadFile(s.Log)
			t.Logf("emulator log (end):\n%s", l[max(0, len(l)-4000):])
		}
		os.RemoveAll(filepath.Dir(s.Log))
	})
	t.Logf("emulator ready on %s in %s", s.Host, time.Since(start).Round(time.Millisecond))

	em := &Emulator{Host: s.Host}
	var out bytes.Buffer
	if err := em.Up(ctx, spec(), &out); err != nil {
		t.Fatal(err)
	}
	want := `+ topic orders: created
+ topic orders-dead-letter: created
+ subscription orders-pull: created
+ subscription orders-to-bigquery: created (a pull subscription: the emulator does not deliver to BigQuery)
`
	if out.String() != want {
		t.Errorf("first run:\n%s\nwant:\n%s", out.String(), want)
	}

	base := "/v1/projects/shop-dev-123"
	get := func(path string) map[string]any {
		t.Helper()
		_, m, err := em.do(ctx, "GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	sub := get("/subscriptions/orders-pull")
	if sub["filter"] != `attributes.kind = "order"` || sub["ackDeadlineSeconds"] != float64(30) || sub["topic"] != "projects/shop-dev-123/topics/orders" {
		t.Errorf("orders-pull is %v", sub)
	}
	if dl, _ := sub["deadLetterPolicy"].(map[string]any); dl["deadLetterTopic"] != "projects/shop-dev-123/topics/orders-dead-letter" {
		t.Errorf("orders-pull's dead-letter policy is %v", sub["deadLetterPolicy"])
	}
	if topic := get("/topics/orders"); topic["messageRetentionDuration"] != "86400s" {
		t.Errorf("topic orders is %v", topic)
	}

	// Again: everything exists as wanted, and nothing changes.
	out.Reset()
	if err := em.Up(ctx, spec(), &out); err != nil {
		t.Fatal(err)
	}
	want = `= topic orders: exists
= topic orders-dead-letter: exists
= subscription orders-pull: exists
= subscription orders-to-bigquery: exists (a pull subscription: the emulator does not deliver to BigQuery)
`
	if out.String() != want {
		t.Errorf("second run:\n%s\nwant:\n%s", out.String(), want)
	}
	if again := get("/subscriptions/orders-pull"); !equalJSON(again, sub) {
		t.Errorf("the second run changed orders-pull:\n%v\nthen:\n%v", sub, again)
	}

	// A subscription whose settings changed in the spec is reported, not
	// silently kept.
	changed := spec()
	changed.Subscriptions["orders-pull"].Filter = `attributes.kind = "refund"`
	out.Reset()
	if err := em.Up(ctx, changed, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "! subscription orders-pull: exists with other filter;") {
		t.Errorf("a changed filter is not reported:\n%s", out.String())
	}

	// A message goes through; it matches the filter, since the emulator
	// stores filters without always applying them.
	msg := map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("order 1")), "attributes": map[string]string{"kind": "order"}}
	if _, _, err := em.do(ctx, "POST", base+"/topics/orders:publish", map[string]any{"messages": []any{msg}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(15 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		_, resp, err := em.do(ctx, "POST", base+"/subscriptions/orders-pull:pull", map[string]any{"maxMessages": 10})
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := resp["receivedMessages"].([]any)
		for _, m := range msgs {
			m, _ := m.(map[string]any)
			inner, _ := m["message"].(map[string]any)
			data, _ := base64.StdEncoding.DecodeString(inner["data"].(string))
			got = append(got, string(data))
		}
		if len(got) == 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(got) != 1 || got[0] != "order 1" {
		t.Errorf("pulled %q, want [\"order 1\"]", got)
	}
}

func equalJSON(a, b map[string]any) bool {
	return jsonOf(a) == jsonOf(b)
}

func jsonOf(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return b.String()
}

// TestExports: plain values are quoted for the shell, secrets never
// appear.
func TestExports(t *testing.T) {
	var out bytes.Buffer
	Exports(&out, "127.0.0.1:8085", spec())
	want := `export PUBSUB_EMULATOR_HOST=127.0.0.1:8085
export GOOGLE_CLOUD_PROJECT=shop-dev-123
# service web
export MODE='it'\''s local'
# export TOKEN=...  set it yourself: secret "shop-token" in Secret Manager is never copied here
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
