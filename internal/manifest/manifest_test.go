package manifest

import (
	"reflect"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Strings that are plain text to pipec but that a YAML 1.1 reader (the
// Kubernetes API machinery's sigs.k8s.io/yaml) or a YAML 1.2 reader
// (kustomize's kyaml) would turn into a bool, number, null or timestamp if
// they were written unquoted.
var ambiguous = []string{
	"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO",
	"on", "On", "ON", "off", "Off", "OFF", "true", "True", "FALSE",
	"null", "Null", "NULL", "~", "",
	"1", "-1", "+1", "1.0", "1e3", "1E3", ".5", "0777", "0o17", "0x1F", "0b101",
	"1_000", "1:20", "190:20:30", ".inf", "-.Inf", ".NaN",
	"2024-01-01", "2001-12-14t21:59:43.10-05:00",
	"<<", "=",
}

func TestMarshalQuotesAmbiguousStrings(t *testing.T) {
	for _, s := range ambiguous {
		b, err := Marshal(map[string]any{"v": s})
		if err != nil {
			t.Fatal(err)
		}
		var v12 map[string]any
		if err := yaml.Unmarshal(b, &v12); err != nil {
			t.Fatalf("%q: YAML 1.2 reader: %v", s, err)
		}
		if got, ok := v12["v"].(string); !ok || got != s {
			t.Errorf("%q written as %q reads back in YAML 1.2 as %#v", s, b, v12["v"])
		}
		var v11 map[string]any
		if err := yamlv2.Unmarshal(b, &v11); err != nil {
			t.Fatalf("%q: YAML 1.1 reader: %v", s, err)
		}
		if got, ok := v11["v"].(string); !ok || got != s {
			t.Errorf("%q written as %q reads back in YAML 1.1 as %#v", s, b, v11["v"])
		}
	}
}

func TestMarshalLeavesPlainStringsUnquoted(t *testing.T) {
	b, err := Marshal(map[string]any{"a": "tweets-dev", "b": "256Mi", "c": "250m", "d": "python"})
	if err != nil {
		t.Fatal(err)
	}
	want := "a: tweets-dev\nb: 256Mi\nc: 250m\nd: python\n"
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

func TestMarshalDeployment(t *testing.T) {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "collector", Labels: map[string]string{"b": "2", "a": "1"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](10000000)},
				Containers:      []corev1.Container{{Name: "collector", Args: []string{"--flag", "no"}}},
			}},
		},
	}
	got, err := File("# header\n", d)
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted, list items at their parent's indentation, "no" quoted,
	// no creationTimestamp/status noise, and the large uid stays an integer.
	want := `# header
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    a: "1"
    b: "2"
  name: collector
spec:
  replicas: 3
  selector: null
  strategy: {}
  template:
    metadata: {}
    spec:
      containers:
      - args:
        - --flag
        - "no"
        name: collector
        resources: {}
      securityContext:
        runAsUser: 10000000
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back appsv1.Deployment
	docs, err := Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := Strict(docs[0], &back); err != nil {
		t.Fatal(err)
	}
	if *back.Spec.Template.Spec.SecurityContext.RunAsUser != 10000000 {
		t.Errorf("runAsUser read back as %d", *back.Spec.Template.Spec.SecurityContext.RunAsUser)
	}
}

func TestMarshalIsDeterministic(t *testing.T) {
	m := map[string]any{}
	for _, k := range strings.Fields("q w e r t y u i o p a s d f g h j k l z x c v b n m") {
		m[k] = map[string]any{"x": k, "y": []any{k, k}}
	}
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(first) {
			t.Fatalf("two encodings differ:\n%s\n---\n%s", first, again)
		}
	}
}

func TestDecodeRejectsDuplicateKeys(t *testing.T) {
	_, err := Decode([]byte("a: 1\na: 2\n"))
	if err == nil {
		t.Fatal("duplicate key accepted")
	}
}

func TestDecodeSkipsCommentOnlyDocuments(t *testing.T) {
	docs, err := Decode([]byte("# header\n---\na: 1\n---\n# nothing\n---\nb: two\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[1]["b"] != "two" {
		t.Errorf("got %v", docs)
	}
}

func TestStrictRejectsUnknownAndMiscasedFields(t *testing.T) {
	for _, doc := range []map[string]any{
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "a"}, "automount": false},
		{"apiVersion": "v1", "kind": "ServiceAccount", "Metadata": map[string]any{"name": "a"}},
	} {
		var sa corev1.ServiceAccount
		if err := Strict(doc, &sa); err == nil {
			t.Errorf("%v accepted", doc)
		}
	}
}

// Marshal skips the JSON round trip for data that is already normalized;
// the output must be the same as through the round trip, and the checks
// the round trip carries (UTF-8, status, null timestamps) must still hold.
func TestMarshalOfNormalizedDataMatchesTheRoundTrip(t *testing.T) {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "collector", Labels: map[string]string{"tier": "no"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "c", Args: []string{"1.0", "~"}}},
			}},
		},
	}
	typed, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Normalize(d)
	if err != nil {
		t.Fatal(err)
	}
	if !normalized(data, true) {
		t.Fatalf("Normalize's output is not taken as normalized: %#v", data)
	}
	plain, err := Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != string(typed) {
		t.Errorf("normalized data encodes differently:\n%s\n---\n%s", plain, typed)
	}

	for name, tc := range map[string]struct {
		in   map[string]any
		want string // "" means an error
	}{
		"status dropped":         {map[string]any{"kind": "X", "status": map[string]any{"a": "b"}}, "kind: X\n"},
		"null timestamp dropped": {map[string]any{"metadata": map[string]any{"creationTimestamp": nil, "name": "web"}}, "metadata:\n  name: web\n"},
		"int becomes int64":      {map[string]any{"replicas": 3}, "replicas: 3\n"},
		"bad UTF-8 value":        {map[string]any{"name": "a\xffb"}, ""},
		"bad UTF-8 key":          {map[string]any{"labels": map[string]any{"\xff": "v"}}, ""},
		"bad UTF-8 in a list":    {map[string]any{"args": []any{"ok", "\xfe"}}, ""},
	} {
		got, err := Marshal(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: encoded as\n%s\nwant an error", name, got)
		case tc.want != "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && string(got) != tc.want:
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, tc.want)
		}
	}
}

func deploymentForBench() *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": "collector", "app.kubernetes.io/part-of": "tweets", "environment": "prod"}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "collector", Namespace: "tweets-prod", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: "collector",
					SecurityContext:    &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532)},
					Containers: []corev1.Container{{
						Name: "collector", Image: "europe-docker.pkg.dev/p/r/collector:1.0",
						Args: []string{"--topic", "tweets", "--no-verify"},
						Env:  []corev1.EnvVar{{Name: "PROJECT", Value: "p"}, {Name: "TOPIC", Value: "tweets"}},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}

// Data built of Go maps, slices and integers is encoded without JSON, and
// must come out as through JSON.
func TestMarshalOfPlainGoDataMatchesTheRoundTrip(t *testing.T) {
	in := map[string]any{
		"apiVersion": "v1",
		"metadata":   map[string]any{"labels": map[string]string{"a": "no", "b": "1.0"}, "creationTimestamp": nil, "annotations": map[string]string(nil)},
		"spec": map[string]any{
			"count": 3, "big": int64(1) << 40, "small": int32(-2), "on": true, "none": nil,
			"list": []string{"x", "~"}, "empty": []string{}, "nilList": []string(nil),
			"items": []any{map[string]any{"k": 1}, "s", []any{}},
		},
		"status": map[string]any{"ready": true},
	}
	fast, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plainMap(in); !ok {
		t.Fatal("plain Go data was not taken as plain")
	}
	viaJSON, _, err := toJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	delete(viaJSON, "status")
	dropNullTimestamps(viaJSON)
	slow, err := Marshal(viaJSON)
	if err != nil {
		t.Fatal(err)
	}
	if string(fast) != string(slow) {
		t.Errorf("without JSON:\n%s\nthrough JSON:\n%s", fast, slow)
	}
	if _, ok := in["status"]; !ok {
		t.Error("Marshal changed the caller's map")
	}
	for name, bad := range map[string]any{
		"float":     map[string]any{"f": 1.5},
		"struct":    map[string]any{"s": struct{ A int }{1}},
		"bad UTF-8": map[string]any{"l": []string{"\xff"}},
		"bad key":   map[string]any{"m": map[string]string{"\xfe": "v"}},
		"not a map": []string{"a"},
	} {
		if _, ok := plainMap(bad); ok {
			t.Errorf("%s: taken as plain", name)
		}
	}
	if _, err := Marshal(map[string]any{"l": []string{"\xff"}}); err == nil {
		t.Error("invalid UTF-8 in a []string was encoded")
	}
}

// A string that starts with a tab and spans lines (SQL pasted from an
// editor) comes back as it was: yaml.v3 alone writes it as a literal block
// that no reader accepts. As a key it is refused.
func TestTabbedMultiLineStringsRoundTrip(t *testing.T) {
	for _, s := range []string{"\tSELECT 1\nFROM t", "\t\n", "\t\na", "\tx\n"} {
		in := map[string]any{"spec": map[string]any{"query": s, "lines": []any{s}}}
		data, err := Marshal(in)
		if err != nil {
			t.Fatalf("Marshal(%q): %v", s, err)
		}
		docs, err := Decode(data)
		if err != nil || len(docs) != 1 || !reflect.DeepEqual(docs[0], in) {
			t.Errorf("%q does not come back: %v\n%s", s, err, data)
		}
	}
	_, err := Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{"\tk\n": "v"}}})
	if err == nil || !strings.Contains(err.Error(), ".metadata.labels: key") {
		t.Errorf("a tabbed multi-line key: got %v, want it refused with its place", err)
	}
}
