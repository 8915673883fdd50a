package compiler

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pipec/pipec/schema"
)

// dags checks DAG and task IDs, the images tasks run in, and that the
// dependency graph is acyclic.
func (c *checker) dags() {
	for _, id := range slices.Sorted(maps.Keys(c.p.DAGs)) {
		if c.skip("dags", id) {
			continue
		}
		d := c.p.DAGs[id]
		d.ID = id
		if c.name(airflowID, "DAG", id, "dags", id) {
			d.KubernetesServiceAccount = dagWorkload(id)
			if !dnsLabel.ok(d.KubernetesServiceAccount) {
				c.errorf(CodeInvalidName, field("dags", id), "DAG ID %q is too long to name its Kubernetes service account %q (at most 63 characters); shorten it", id, d.KubernetesServiceAccount)
			}
			d.GoogleServiceAccount = c.identity(d.KubernetesServiceAccount, "dags", id)
		}
		if _, err := time.Parse("2006-01-02", d.Start); err != nil {
			c.errorf(CodeInvalidValue, field("dags", id, "start"), "start %q is not a date: write YYYY-MM-DD", d.Start)
		}
		for i, tag := range d.Tags {
			if len(tag) > 100 || tag == "" {
				c.errorf(CodeOutOfRange, field("dags", id, "tags", i), "tag %q must be 1 to 100 characters (Airflow's limit)", tag)
			}
		}
		if len(d.Tasks) == 0 {
			c.errorf(CodeIncompatible, field("dags", id, "tasks"), "DAG %q has no tasks", id)
		}
		for _, tid := range slices.Sorted(maps.Keys(d.Tasks)) {
			t := d.Tasks[tid]
			t.ID = tid
			at := func(e ...any) []any { return append([]any{"dags", id, "tasks", tid}, e...) }
			c.name(airflowID, "task", tid, at()...)
			if _, ok := c.p.Images[t.Image]; !ok {
				c.errorf(CodeDangling, at("image"), "image %q is not declared in images%s", t.Image, suggest(t.Image, c.p.Images))
			}
			if t.Group != "" && (strings.Contains(t.Group, ".") || !airflowID.ok(t.Group)) {
				c.errorf(CodeInvalidName, at("group"), "task group %q is not valid: letters, digits, '_' and '-', no dots", t.Group)
			} else if _, clash := d.Tasks[t.Group]; clash {
				c.errorf(CodeIncompatible, at("group"), "task group %q has the name of a task of DAG %q; Airflow IDs are shared by tasks and groups, so rename one", t.Group, id)
			}
			runner := cmp.Or(t.Runner, d.Runner)
			if img, ok := c.p.Images[t.Image]; ok && runner == "kubernetes_executor" && img.Go != "" {
				c.errorf(CodeIncompatible, at("image"), "the kubernetes_executor runner runs the task inside Airflow, so its image must be a Python image with Airflow installed; %q is a Go image: use runner: \"kubernetes_pod\"", t.Image)
			}
			for i, dep := range t.After {
				if _, ok := d.Tasks[dep]; !ok {
					c.errorf(CodeDangling, at("after", i), "task %q is not a task of DAG %q%s", dep, id, suggest(dep, d.Tasks))
				}
			}
			c.workloadInputs(t.Reads, t.Writes, t.Env, at)
			if t.Resources != nil {
				c.resources(t.Resources, at("resources")...)
			}
		}
		c.cycles(d)
	}
}

// cycles reports each dependency cycle once, as the path that closes it.
func (c *checker) cycles(d *schema.DAG) {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string)
	visit = func(id string) {
		state[id] = active
		stack = append(stack, id)
		t := d.Tasks[id]
		for i, dep := range t.After {
			if _, ok := d.Tasks[dep]; !ok {
				continue
			}
			switch state[dep] {
			case active:
				start := slices.Index(stack, dep)
				cycle := append(slices.Clone(stack[start:]), dep)
				c.errorf(CodeIncompatible, field("dags", d.ID, "tasks", id, "after", i),
					"dependency cycle: %s; remove one of these after entries", strings.Join(cycle, " -> "))
			case unvisited:
				visit(dep)
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
	}
	for _, id := range slices.Sorted(maps.Keys(d.Tasks)) {
		if state[id] == unvisited {
			visit(id)
		}
	}
}
