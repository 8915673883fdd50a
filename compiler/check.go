package compiler

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pipec/pipec/schema"
)

// checker applies, to one resolved environment, the rules CUE cannot
// express: references, naming rules of the target systems, API ranges and
// safety. It also fills the values derived from others (image references,
// service-account names), so targets never compute them twice.
type checker struct {
	r *reporter
	v cue.Value
	// positions, when set, returns the value positions are looked up in
	// (see written). It is called only for a finding.
	positions func() cue.Value
	p         *schema.Pipeline
	dir       string
	env       string
	// broken holds the entries CUE already reported errors for; checking
	// them again would only add noise.
	broken map[string]error
	// gsas maps each derived Google service-account ID to the workload
	// that owns it, to catch two workloads whose names derive the same ID.
	gsas map[string]string
	// files is what the pipeline's other environments learnt from the
	// file system.
	files *fileFacts
}

// skip reports whether an entry (or scalar field) failed to decode.
func (c *checker) skip(field string, key ...string) bool {
	_, ok := c.broken[strings.Join(append([]string{field}, key...), "\x00")]
	return ok
}

// at locates a path in the spec. A value that the schema defaulted has no
// position of its own in the user's files, so the nearest enclosing value
// the user wrote stands in for it.
func (c *checker) at(elems ...any) (token.Pos, string) {
	sels := make([]cue.Selector, len(elems))
	for i, e := range elems {
		switch e := e.(type) {
		case string:
			sels[i] = cue.Str(e)
		case int:
			sels[i] = cue.Index(e)
		default:
			panic(fmt.Sprintf("path element %T", e))
		}
	}
	path := cue.MakePath(sels...).String()
	v := c.v
	if c.positions != nil {
		v = c.positions()
	}
	for n := len(sels); n >= 0; n-- {
		if pos := userPos(v.LookupPath(cue.MakePath(sels[:n]...)), 4); pos.IsValid() {
			return pos, path
		}
	}
	return token.NoPos, path
}

// userPos returns where a user's file sets v, or NoPos. A value that the
// schema also constrains may report the schema's position as its own, so
// the user's is looked for among the values v unifies (depth bounds the
// search).
func userPos(v cue.Value, depth int) token.Pos {
	if pos := v.Pos(); pos.IsValid() && pos.Filename() != schema.Filename {
		return pos
	}
	if op, args := v.Expr(); op == cue.AndOp && depth > 0 {
		for _, a := range args {
			if pos := userPos(a, depth-1); pos.IsValid() {
				return pos
			}
		}
	}
	return token.NoPos
}

// written returns, for a checker's positions, the spec as the user wrote
// it with one environment's override, evaluated once and only when a
// finding needs a position. Without the schema it is a fraction of an
// evaluation, and every position it holds is one the user wrote: a field
// is placed at its label, in the base or in the override.
func written(user, override cue.Value) func() cue.Value {
	var v cue.Value
	return func() cue.Value {
		if !v.Exists() {
			v = user.Unify(override)
		}
		return v
	}
}

// field builds a spec path from keys and list indexes.
func field(elems ...any) []any { return elems }

func (c *checker) errorf(code Code, elems []any, format string, args ...any) {
	pos, path := c.at(elems...)
	c.r.at(code, pos, path, format, args...)
}

func (c *checker) warnf(code Code, elems []any, format string, args ...any) {
	pos, path := c.at(elems...)
	c.r.warn(code, pos, path, format, args...)
}

func (c *checker) name(rule nameRule, kind, name string, elems ...any) bool {
	if rule.ok(name) {
		return true
	}
	c.errorf(CodeInvalidName, elems, "%s name %q is not valid: it must be %s", kind, name, rule.what)
	return false
}

func (c *checker) duration(d schema.Duration, min, max time.Duration, elems ...any) {
	if d == schema.Never {
		return
	}
	if dd := time.Duration(d); dd < min || dd > max {
		c.errorf(CodeOutOfRange, elems, "%s is out of range: allowed %s to %s", d, schema.Duration(min), schema.Duration(max))
	}
}

func (c *checker) check() {
	p := c.p
	if c.skip("name") || c.skip("project") || c.skip("namespace") || c.skip("registry") {
		return
	}
	nameOK := c.name(dnsLabel, "pipeline", p.Name, "name")
	c.name(projectID, "project", p.Project, "project")
	if p.ProjectNumber != "" && !projectNumber.MatchString(p.ProjectNumber) {
		c.errorf(CodeInvalidValue, field("projectNumber"), "project number %q is not valid: it is the project's number, digits only (gcloud projects describe PROJECT --format='value(projectNumber)')", p.ProjectNumber)
	}
	if c.v.LookupPath(cue.ParsePath("namespace")).Exists() {
		c.name(dnsLabel, "namespace", p.Namespace, "namespace")
	} else if nameOK {
		p.Namespace = p.Name + "-" + c.env
		if !dnsLabel.ok(p.Namespace) {
			c.errorf(CodeInvalidName, field("name"), "the namespace %q derived from the pipeline and environment names is not a DNS-1123 label of at most 63 characters; shorten the name or set namespace", p.Namespace)
		}
	}
	c.labels(p.Labels, "labels")
	if len(p.DAGs) > 0 {
		c.name(dnsLabel, "Airflow namespace", p.Airflow.Namespace, "airflow", "namespace")
		for i, sa := range p.Airflow.ServiceAccounts {
			c.name(dnsSubdomain, "Airflow service account", sa, "airflow", "serviceAccounts", i)
		}
	}
	c.collisions()
	c.images()
	c.topics()
	c.datasets()
	c.buckets()
	c.subscriptions()
	c.services()
	c.dags()
	c.airflowSubjects()
	c.gitops()
}

// reservedLabels are the label keys pipec sets on what it generates.
var reservedLabels = map[string]bool{"environment": true, "managed-by": true}

func (c *checker) labels(m map[string]string, elems ...any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		at := append(slices.Clone(elems), k)
		if !labelKey.ok(k) {
			c.errorf(CodeInvalidName, at, "label key %q is not valid: it must be %s", k, labelKey.what)
		} else if reservedLabels[k] {
			c.errorf(CodeInvalidName, at, "label key %q is set by pipec itself; choose another key", k)
		}
		if !labelValue.ok(m[k]) {
			c.errorf(CodeInvalidName, at, "label value %q is not valid: it must be %s", m[k], labelValue.what)
		}
	}
}

func (c *checker) images() {
	for _, name := range slices.Sorted(maps.Keys(c.p.Images)) {
		if c.skip("images", name) {
			continue
		}
		img := c.p.Images[name]
		img.Name = name
		if !c.name(dnsLabel, "image", name, "images", name) {
			continue
		}
		img.Repository = strings.TrimSuffix(c.p.Registry, "/") + "/" + name
		img.Ref = img.Repository + ":" + img.Tag
		switch {
		case img.Python == "" && img.Go == "":
			c.errorf(CodeIncompatible, field("images", name), "image %q has no runtime: set python: \"3.12\" or go: \"1.24\"", name)
		case img.Python != "" && img.Go != "":
			c.errorf(CodeIncompatible, field("images", name, "go"), "image %q sets both python and go: keep one", name)
		case img.Python != "" && !pythonVersion.MatchString(img.Python):
			c.errorf(CodeInvalidValue, field("images", name, "python"), "python version %q is not valid: write major.minor, e.g. \"3.12\"", img.Python)
		case img.Go != "" && !goVersion.MatchString(img.Go):
			c.errorf(CodeInvalidValue, field("images", name, "go"), "go version %q is not valid: write major.minor, e.g. \"1.24\"", img.Go)
		}
		if len(img.Command) == 0 && img.Python != "" {
			c.errorf(CodeIncompatible, field("images", name, "command"), "image %q has no command: say what the container runs, e.g. command: [\"python\", \"main.py\"]", name)
		}
		if img.Python == "" && img.Requirements != "" {
			c.errorf(CodeIncompatible, field("images", name, "requirements"), "requirements is for Python images; a Go image lists go.mod and go.sum in copy")
		}
		if img.Tag == "" || strings.ContainsAny(img.Tag, ":@/ ") {
			c.errorf(CodeInvalidValue, field("images", name, "tag"), "tag %q is not a valid image tag", img.Tag)
		}
		for _, k := range slices.Sorted(maps.Keys(img.Env)) {
			c.envVar(schema.EnvVar{Value: img.Env[k]}, k, true, "images", name, "env", k)
		}
		c.imageFiles(name, img)
	}
}

func (c *checker) topics() {
	for _, name := range slices.Sorted(maps.Keys(c.p.Topics)) {
		if c.skip("topics", name) {
			continue
		}
		t := c.p.Topics[name]
		c.name(pubsubID, "topic", name, "topics", name)
		if t.Retention != 0 {
			c.duration(t.Retention, 10*time.Minute, 31*24*time.Hour, "topics", name, "retention")
		}
		c.labels(t.Labels, "topics", name, "labels")
	}
}

func (c *checker) datasets() {
	for _, ds := range slices.Sorted(maps.Keys(c.p.Datasets)) {
		if c.skip("datasets", ds) {
			continue
		}
		d := c.p.Datasets[ds]
		c.name(datasetID, "dataset", ds, "datasets", ds)
		if controlChar(d.Description) {
			c.errorf(CodeUnsafeChars, field("datasets", ds, "description"), "the description holds a control character; write it on one line")
		}
		for _, tn := range slices.Sorted(maps.Keys(d.Tables)) {
			t := d.Tables[tn]
			c.name(tableID, "table", tn, "datasets", ds, "tables", tn)
			if controlChar(t.Description) {
				c.errorf(CodeUnsafeChars, field("datasets", ds, "tables", tn, "description"), "the description holds a control character; write it on one line")
			}
			cols := c.fields(t.Fields, "datasets", ds, "tables", tn, "fields")
			if pt := t.Partition; pt != nil {
				if pt.Field != "" {
					switch cols[strings.ToLower(pt.Field)] {
					case "TIMESTAMP", "DATE", "DATETIME":
					case "":
						c.errorf(CodeDangling, field("datasets", ds, "tables", tn, "partition", "field"), "partition field %q is not a column of the table", pt.Field)
					default:
						c.errorf(CodeIncompatible, field("datasets", ds, "tables", tn, "partition", "field"), "partition field %q must be a TIMESTAMP, DATE or DATETIME column", pt.Field)
					}
				}
				if pt.Expiration != 0 {
					c.duration(pt.Expiration, time.Hour, 100*365*24*time.Hour, "datasets", ds, "tables", tn, "partition", "expiration")
				}
			}
			if len(t.Clustering) > 4 {
				c.errorf(CodeOutOfRange, field("datasets", ds, "tables", tn, "clustering"), "a table can be clustered by at most 4 columns, not %d", len(t.Clustering))
			}
			for i, col := range t.Clustering {
				if cols[strings.ToLower(col)] == "" {
					c.errorf(CodeDangling, field("datasets", ds, "tables", tn, "clustering", i), "clustering column %q is not a column of the table", col)
				}
			}
		}
	}
}

// fields checks a table schema and returns its top-level column types by
// lower-cased name (BigQuery column names are case-insensitive).
func (c *checker) fields(fs []schema.Field, elems ...any) map[string]string {
	cols := map[string]string{}
	for i, f := range fs {
		at := append(slices.Clone(elems), i, "name")
		if !columnName.ok(f.Name) {
			c.errorf(CodeInvalidName, at, "column name %q is not valid: it must be %s", f.Name, columnName.what)
		}
		if _, dup := cols[strings.ToLower(f.Name)]; dup {
			c.errorf(CodeIncompatible, at, "column %q is declared twice (BigQuery column names ignore case)", f.Name)
		}
		cols[strings.ToLower(f.Name)] = f.Type
		nested := f.Type == "RECORD" || f.Type == "STRUCT"
		switch {
		case nested && len(f.Fields) == 0:
			c.errorf(CodeIncompatible, append(slices.Clone(elems), i), "column %q is a %s: list its fields", f.Name, f.Type)
		case !nested && len(f.Fields) > 0:
			c.errorf(CodeIncompatible, append(slices.Clone(elems), i, "fields"), "column %q has fields but is a %s; use type: \"RECORD\"", f.Name, f.Type)
		case nested:
			c.fields(f.Fields, append(slices.Clone(elems), i, "fields")...)
		}
	}
	return cols
}

func (c *checker) buckets() {
	for _, name := range slices.Sorted(maps.Keys(c.p.Buckets)) {
		if c.skip("buckets", name) {
			continue
		}
		c.name(bucketName, "bucket", name, "buckets", name)
	}
}

func (c *checker) subscriptions() {
	defer c.unreadDeadLetters()
	for _, name := range slices.Sorted(maps.Keys(c.p.Subscriptions)) {
		if c.skip("subscriptions", name) {
			continue
		}
		s := c.p.Subscriptions[name]
		at := func(e ...any) []any { return append([]any{"subscriptions", name}, e...) }
		c.name(pubsubID, "subscription", name, at()...)
		if _, ok := c.p.Topics[s.Topic]; !ok {
			c.errorf(CodeDangling, at("topic"), "topic %q is not declared in topics%s", s.Topic, suggest(s.Topic, c.p.Topics))
		}
		if s.AckDeadline < 10 || s.AckDeadline > 600 {
			c.errorf(CodeOutOfRange, at("ackDeadline"), "ack deadline %d is out of range: allowed 10 to 600 seconds", s.AckDeadline)
		}
		c.duration(s.Retention, 10*time.Minute, 7*24*time.Hour, at("retention")...)
		if s.Expiration != schema.Never && time.Duration(s.Expiration) < 24*time.Hour {
			c.errorf(CodeOutOfRange, at("expiration"), "expiration %s is too short: allowed \"never\" or at least 1d", s.Expiration)
		}
		if r := s.Retry; r != nil {
			c.duration(r.MinBackoff, 0, 600*time.Second, at("retry", "minBackoff")...)
			c.duration(r.MaxBackoff, 0, 600*time.Second, at("retry", "maxBackoff")...)
			if r.MaxBackoff < r.MinBackoff {
				c.errorf(CodeOutOfRange, at("retry", "maxBackoff"), "maxBackoff %s is shorter than minBackoff %s", r.MaxBackoff, r.MinBackoff)
			}
		}
		if dl := s.DeadLetter; dl != nil {
			if _, ok := c.p.Topics[dl.Topic]; !ok {
				c.errorf(CodeDangling, at("deadLetter", "topic"), "dead-letter topic %q is not declared in topics%s", dl.Topic, suggest(dl.Topic, c.p.Topics))
			} else if dl.Topic == s.Topic {
				c.errorf(CodeIncompatible, at("deadLetter", "topic"), "dead-letter topic %q is the subscription's own topic; failed messages would loop", dl.Topic)
			}
			if dl.MaxAttempts < 5 || dl.MaxAttempts > 100 {
				c.errorf(CodeOutOfRange, at("deadLetter", "maxAttempts"), "maxAttempts %d is out of range: allowed 5 to 100", dl.MaxAttempts)
			}
		}
		var deliveries []string
		if s.Push != nil {
			deliveries = append(deliveries, "push")
			if !strings.HasPrefix(s.Push.Endpoint, "https://") || strings.ContainsAny(s.Push.Endpoint, " \"'") || controlChar(s.Push.Endpoint) {
				c.errorf(CodeInvalidValue, at("push", "endpoint"), "push endpoint %q must be an https:// URL", s.Push.Endpoint)
			}
		}
		if bq := s.BigQuery; bq != nil {
			deliveries = append(deliveries, "bigquery")
			if c.tableRef(bq.Table, at("bigquery", "table")...) {
				c.landingTable(bq, at("bigquery", "table")...)
			}
		}
		if cs := s.CloudStorage; cs != nil {
			deliveries = append(deliveries, "cloudStorage")
			if _, ok := c.p.Buckets[cs.Bucket]; !ok {
				c.errorf(CodeDangling, at("cloudStorage", "bucket"), "bucket %q is not declared in buckets%s", cs.Bucket, suggest(cs.Bucket, c.p.Buckets))
			}
			c.duration(cs.MaxDuration, time.Minute, 10*time.Minute, at("cloudStorage", "maxDuration")...)
		}
		for _, agent := range []struct {
			set  bool
			key  string
			does string
		}{
			{s.BigQuery != nil, "bigquery", "delivers to BigQuery"},
			{s.CloudStorage != nil, "cloudStorage", "delivers to Cloud Storage"},
			{s.DeadLetter != nil, "deadLetter", "forwards failed messages to a dead-letter topic"},
		} {
			if agent.set && c.p.ProjectNumber == "" {
				c.errorf(CodeProjectNumber, at(agent.key), "environment %q has no projectNumber, which subscription %q needs: it %s, which Pub/Sub does as its service agent service-<projectNumber>@gcp-sa-pubsub.iam.gserviceaccount.com, and pipec must grant that account access; set environments.%s.projectNumber to what this prints: gcloud projects describe %s --format='value(projectNumber)'", c.env, name, agent.does, c.env, c.p.Project)
				break
			}
		}
		if bad := controlChar(s.Filter); bad {
			c.errorf(CodeUnsafeChars, at("filter"), "the filter holds a control character; write it on one line")
		}
		if len(deliveries) > 1 {
			c.errorf(CodeIncompatible, at(deliveries[1]), "a subscription delivers one way: %s are mutually exclusive; keep one, or none for a pull subscription", strings.Join(deliveries, " and "))
		}
		c.labels(s.Labels, at("labels")...)
	}
}

// tableRef checks a "dataset.table" reference to a table of this pipeline
// and reports whether it resolves.
func (c *checker) tableRef(ref string, elems ...any) bool {
	ds, tn, ok := strings.Cut(ref, ".")
	if !ok {
		c.errorf(CodeDangling, elems, "table %q must be written dataset.table", ref)
		return false
	}
	if c.skip("datasets", ds) {
		return false
	}
	d, ok := c.p.Datasets[ds]
	if !ok {
		c.errorf(CodeDangling, elems, "dataset %q is not declared in datasets%s", ds, suggest(ds, c.p.Datasets))
		return false
	}
	if _, ok := d.Tables[tn]; !ok {
		c.errorf(CodeDangling, elems, "table %q is not declared in datasets.%s.tables%s", tn, ds, suggest(tn, d.Tables))
		return false
	}
	return true
}

// landingColumn is a column Pub/Sub writes into a BigQuery subscription's
// table, with the types it accepts there.
type landingColumn struct {
	name  string
	types []string
}

var (
	bodyColumn      = landingColumn{"data", []string{"STRING", "BYTES", "JSON"}}
	metadataColumns = []landingColumn{
		{"subscription_name", []string{"STRING"}},
		{"message_id", []string{"STRING"}},
		{"publish_time", []string{"TIMESTAMP"}},
		{"attributes", []string{"STRING", "JSON"}},
	}
)

// landingTable checks that a BigQuery subscription's table has the columns
// Pub/Sub writes: the message body into "data", and with writeMetadata the
// message's metadata. Pub/Sub refuses to create the subscription otherwise.
func (c *checker) landingTable(bq *schema.BigQueryDelivery, elems ...any) {
	ds, tn, _ := strings.Cut(bq.Table, ".")
	cols := map[string]string{}
	for _, f := range c.p.Datasets[ds].Tables[tn].Fields {
		cols[strings.ToLower(f.Name)] = f.Type
	}
	want := []landingColumn{bodyColumn}
	if bq.WriteMetadata {
		want = append(want, metadataColumns...)
	}
	var missing []string
	for _, w := range want {
		if got, ok := cols[w.name]; !ok || !slices.Contains(w.types, got) {
			missing = append(missing, w.name+" "+strings.Join(w.types, "|"))
		}
	}
	if len(missing) > 0 {
		why := "Pub/Sub writes each message body into a column data"
		if bq.WriteMetadata {
			why += ", and with writeMetadata its metadata into subscription_name, message_id, publish_time and attributes"
		}
		c.errorf(CodeIncompatible, elems, "table %q cannot receive this subscription's messages: %s; add the columns %s", bq.Table, why, strings.Join(missing, ", "))
	}
}

// controlChar reports whether s holds a line break or another control
// character, which no generated script or manifest line should carry.
func controlChar(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

// identity derives a workload's Google service-account email and rejects
// two workloads that would share one.
func (c *checker) identity(workload string, elems ...any) string {
	if c.gsas == nil {
		c.gsas = map[string]string{}
	}
	id := googleServiceAccountID(c.p.Name, workload)
	if other, dup := c.gsas[id]; dup {
		c.errorf(CodeNameCollision, elems, "%q and %q would share the Google service account %q; rename one", workload, other, id)
	}
	c.gsas[id] = workload
	return id + "@" + c.p.Project + ".iam.gserviceaccount.com"
}

// unreadDeadLetters warns of dead-letter topics that no subscription of
// the pipeline reads: Pub/Sub drops what is published to a topic without
// subscriptions, so the messages a subscription gives up on would vanish
// instead of waiting for someone to look at them. A subscription elsewhere
// (another pipeline's) may read it, hence a warning.
func (c *checker) unreadDeadLetters() {
	read := map[string]bool{}
	for _, s := range c.p.Subscriptions {
		read[s.Topic] = true
	}
	senders := map[string][]string{} // unread dead-letter topic -> its subscriptions
	for _, name := range slices.Sorted(maps.Keys(c.p.Subscriptions)) {
		dl := c.p.Subscriptions[name].DeadLetter
		if dl == nil || read[dl.Topic] || c.skip("subscriptions", name) {
			continue
		}
		if _, ok := c.p.Topics[dl.Topic]; ok { // else reported as not declared
			senders[dl.Topic] = append(senders[dl.Topic], strconv.Quote(name))
		}
	}
	for _, topic := range slices.Sorted(maps.Keys(senders)) {
		subs := senders[topic]
		who := "subscription " + subs[0] + " gives"
		if len(subs) > 1 {
			who = "subscriptions " + strings.Join(subs[:len(subs)-1], ", ") + " and " + subs[len(subs)-1] + " give"
		}
		c.warnf(CodeUnreadDeadLetter, field("topics", topic),
			"dead-letter topic %q has no subscription, so Pub/Sub drops the messages %s up on; add a subscription that reads it (a pull subscription keeps them up to 7 days for someone to look at)",
			topic, who)
	}
}

func (c *checker) services() {
	for _, name := range slices.Sorted(maps.Keys(c.p.Services)) {
		if c.skip("services", name) {
			continue
		}
		s := c.p.Services[name]
		s.Name = name
		at := func(e ...any) []any { return append([]any{"services", name}, e...) }
		if !c.name(dnsLabel, "service", name, at()...) {
			continue
		}
		if _, ok := c.p.Images[s.Image]; !ok {
			c.errorf(CodeDangling, at("image"), "image %q is not declared in images%s", s.Image, suggest(s.Image, c.p.Images))
		}
		for i, t := range s.Publishes {
			if _, ok := c.p.Topics[t]; !ok {
				c.errorf(CodeDangling, at("publishes", i), "topic %q is not declared in topics%s", t, suggest(t, c.p.Topics))
			}
		}
		for i, sub := range s.Subscribes {
			if _, ok := c.p.Subscriptions[sub]; !ok {
				c.errorf(CodeDangling, at("subscribes", i), "subscription %q is not declared in subscriptions%s", sub, suggest(sub, c.p.Subscriptions))
			}
		}
		c.workloadInputs(s.Reads, s.Writes, s.Env, at)
		if k, ok := s.Env["GOOGLE_CLOUD_PROJECT"]; ok && k.Value != "" {
			c.errorf(CodeIncompatible, at("env", "GOOGLE_CLOUD_PROJECT"), "GOOGLE_CLOUD_PROJECT is set by pipec to the environment's project; remove it")
		}
		c.resources(&s.Resources, at("resources")...)
		if s.Replicas == 1 && production(c.env) {
			c.warnf(CodeSingleReplica, at("replicas"), "environment %q runs one replica: every node drain or rollout is an outage; run two or more (pipec then adds a PodDisruptionBudget)", c.env)
		}
		s.KubernetesServiceAccount = name
		s.GoogleServiceAccount = c.identity(name, at()...)
	}
}

func (c *checker) resources(r *schema.Resources, elems ...any) {
	quantities := []struct{ field, v string }{{"cpu", r.CPU}, {"memory", r.Memory}}
	if r.MemoryLimit == "" {
		r.MemoryLimit = r.Memory
	} else {
		quantities = append(quantities, struct{ field, v string }{"memoryLimit", r.MemoryLimit})
	}
	for _, q := range quantities {
		if _, err := resource.ParseQuantity(q.v); err != nil {
			c.errorf(CodeInvalidValue, append(slices.Clone(elems), q.field), "%q is not a Kubernetes quantity: write e.g. \"250m\" for CPU or \"256Mi\" for memory", q.v)
		}
	}
	if mem, err1 := resource.ParseQuantity(r.Memory); err1 == nil {
		if lim, err2 := resource.ParseQuantity(r.MemoryLimit); err2 == nil && lim.Cmp(mem) < 0 {
			c.errorf(CodeOutOfRange, append(slices.Clone(elems), "memoryLimit"), "memoryLimit %s is below the memory request %s", r.MemoryLimit, r.Memory)
		}
	}
}

// workloadInputs checks what a service or a task reads, writes and is
// given in its environment; at locates a field of the workload.
func (c *checker) workloadInputs(reads, writes []string, env map[string]schema.EnvVar, at func(...any) []any) {
	for i, t := range reads {
		c.tableRef(t, at("reads", i)...)
	}
	for i, t := range writes {
		c.tableRef(t, at("writes", i)...)
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		c.envVar(env[k], k, false, at("env", k)...)
	}
}

// production reports whether an environment's name says it serves users.
func production(env string) bool {
	return env == "prod" || env == "production" || strings.HasPrefix(env, "prod-")
}

// suggest names the declared key closest to a dangling reference, because
// most dangling references are typos.
func suggest[V any](name string, declared map[string]V) string {
	best, bestDist := "", 3
	for _, k := range slices.Sorted(maps.Keys(declared)) {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(declared) == 0 {
		return " (none are declared)"
	}
	return fmt.Sprintf(" (declared: %s)", strings.Join(quoteAll(slices.Sorted(maps.Keys(declared))), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// airflowSubjects rejects an Airflow service account that the rendered
// RoleBinding would grant in the pipeline's namespace instead of Airflow's:
// kustomize's name references move a subject in namespace "default" that
// is named like one of the overlay's own service accounts, and Airflow
// could not start the task pods.
func (c *checker) airflowSubjects() {
	if len(c.p.DAGs) == 0 {
		return
	}
	own := map[string]string{}
	for name, s := range c.p.Services {
		own[s.KubernetesServiceAccount] = "service " + name
	}
	for id, d := range c.p.DAGs {
		own[d.KubernetesServiceAccount] = "DAG " + id
	}
	for i, sa := range c.p.Airflow.ServiceAccounts {
		if own[sa] != "" && c.p.Airflow.Namespace == "default" {
			c.errorf(CodeNameCollision, field("airflow", "serviceAccounts", i),
				"Airflow's service account %q in namespace \"default\" has the name of the service account of %s, and kustomize would bind that one instead; run Airflow in its own namespace or rename one of them",
				sa, own[sa])
		}
	}
}
