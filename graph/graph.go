// Package graph draws a compiled pipeline as a directed graph: images feed
// services and DAG tasks, services publish to topics, topics feed
// subscriptions, subscriptions deliver to services, tables and buckets, and
// tasks depend on each other and read and write tables. It writes the graph
// as Mermaid (which GitHub renders in Markdown) or Graphviz DOT.
//
// Output is deterministic: nodes come in a fixed order of kinds, each kind
// sorted by name, and edges sorted by their ends, so a graph can be kept in
// git and reviewed as a diff.
package graph

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pipec/pipec/schema"
)

// Kind is what a node stands for.
type Kind string

// The kinds of node, in the order they are drawn: the order data flows.
const (
	Image        Kind = "image"
	Service      Kind = "service"
	Topic        Kind = "topic"
	Subscription Kind = "subscription"
	Task         Kind = "task"
	Table        Kind = "table"
	Bucket       Kind = "bucket"
)

var kindOrder = []Kind{Image, Service, Topic, Subscription, Task, Table, Bucket}

// Node is one thing of the pipeline.
type Node struct {
	// ID is unique within the graph and safe as a Mermaid and DOT
	// identifier: letters, digits and '_'.
	ID   string
	Kind Kind
	// Name is the thing's name in the spec; a task's is its task ID and a
	// table's is "dataset.table".
	Name string
	// DAG is the DAG ID of a task, empty for every other kind.
	DAG string
}

// Edge is a flow from one node to another.
type Edge struct {
	From, To string
	// Label says what flows ("publishes", "delivers"), empty for a task
	// dependency, where the arrow says it all.
	Label string
	// Side marks a flow that only happens when something fails (a
	// dead-letter topic), drawn dashed.
	Side bool
}

// Graph is a pipeline in one environment, as nodes and edges.
type Graph struct {
	// Pipeline and Env say what is drawn.
	Pipeline, Env string
	Nodes         []Node
	Edges         []Edge
	// DAGs lists the DAG IDs whose tasks are grouped, sorted.
	DAGs []string
}

// key identifies a node before it has an ID.
type key struct {
	kind      Kind
	dag, name string
}

type builder struct {
	nodes map[key]bool
	edges map[Edge]bool
	// pending edges are kept by key until IDs are assigned.
	flows []flow
}

type flow struct {
	from, to key
	label    string
	side     bool
}

func (b *builder) node(k key) key {
	b.nodes[k] = true
	return k
}

func (b *builder) flow(from, to key, label string, side bool) {
	b.node(from)
	b.node(to)
	b.flows = append(b.flows, flow{from, to, label, side})
}

// New builds the graph of one resolved pipeline.
func New(p *schema.Pipeline) *Graph {
	b := &builder{nodes: map[key]bool{}, edges: map[Edge]bool{}}
	table := func(name string) key { return key{kind: Table, name: name} }
	for _, name := range slices.Sorted(maps.Keys(p.Images)) {
		b.node(key{kind: Image, name: name})
	}
	for _, ds := range slices.Sorted(maps.Keys(p.Datasets)) {
		for _, t := range slices.Sorted(maps.Keys(p.Datasets[ds].Tables)) {
			b.node(table(ds + "." + t))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Buckets)) {
		b.node(key{kind: Bucket, name: name})
	}
	for _, name := range slices.Sorted(maps.Keys(p.Topics)) {
		b.node(key{kind: Topic, name: name})
	}
	for _, name := range slices.Sorted(maps.Keys(p.Subscriptions)) {
		s := p.Subscriptions[name]
		sub := key{kind: Subscription, name: name}
		b.flow(key{kind: Topic, name: s.Topic}, sub, "", false)
		if s.BigQuery != nil {
			b.flow(sub, table(s.BigQuery.Table), "delivers", false)
		}
		if s.CloudStorage != nil {
			b.flow(sub, key{kind: Bucket, name: s.CloudStorage.Bucket}, "delivers", false)
		}
		if s.DeadLetter != nil {
			b.flow(sub, key{kind: Topic, name: s.DeadLetter.Topic}, "dead letter", true)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		svc := key{kind: Service, name: name}
		b.flow(key{kind: Image, name: s.Image}, svc, "runs", false)
		for _, t := range s.Publishes {
			b.flow(svc, key{kind: Topic, name: t}, "publishes", false)
		}
		for _, sub := range s.Subscribes {
			b.flow(key{kind: Subscription, name: sub}, svc, "subscribes", false)
		}
		for _, t := range s.Reads {
			b.flow(table(t), svc, "reads", false)
		}
		for _, t := range s.Writes {
			b.flow(svc, table(t), "writes", false)
		}
	}
	var dags []string
	for _, id := range slices.Sorted(maps.Keys(p.DAGs)) {
		dags = append(dags, id)
		d := p.DAGs[id]
		for _, tid := range slices.Sorted(maps.Keys(d.Tasks)) {
			t := d.Tasks[tid]
			task := key{kind: Task, dag: id, name: tid}
			b.flow(key{kind: Image, name: t.Image}, task, "runs", false)
			for _, dep := range t.After {
				b.flow(key{kind: Task, dag: id, name: dep}, task, "", false)
			}
			for _, r := range t.Reads {
				b.flow(table(r), task, "reads", false)
			}
			for _, w := range t.Writes {
				b.flow(task, table(w), "writes", false)
			}
		}
	}
	return b.graph(p, dags)
}

// graph orders the nodes, gives each a unique ID and turns flows into
// edges between IDs.
func (b *builder) graph(p *schema.Pipeline, dags []string) *Graph {
	keys := slices.SortedFunc(maps.Keys(b.nodes), func(x, y key) int {
		return cmp.Or(
			cmp.Compare(slices.Index(kindOrder, x.kind), slices.Index(kindOrder, y.kind)),
			strings.Compare(x.dag, y.dag),
			strings.Compare(x.name, y.name))
	})
	g := &Graph{Pipeline: p.Name, Env: p.Env, DAGs: dags}
	ids := map[key]string{}
	used := map[string]bool{}
	for _, k := range keys {
		id := uniqueID(k, used)
		ids[k] = id
		g.Nodes = append(g.Nodes, Node{ID: id, Kind: k.kind, Name: k.name, DAG: k.dag})
	}
	for _, f := range b.flows {
		e := Edge{From: ids[f.from], To: ids[f.to], Label: f.label, Side: f.side}
		if !b.edges[e] {
			b.edges[e] = true
			g.Edges = append(g.Edges, e)
		}
	}
	order := map[string]int{}
	for i, n := range g.Nodes {
		order[n.ID] = i
	}
	slices.SortFunc(g.Edges, func(x, y Edge) int {
		return cmp.Or(cmp.Compare(order[x.From], order[y.From]), cmp.Compare(order[x.To], order[y.To]), strings.Compare(x.Label, y.Label))
	})
	return g
}

// uniqueID makes a readable identifier of a node's kind and name. Spec
// names may hold '-', '.', '%' and more, which neither Mermaid nor DOT
// take bare; two names that differ only there ("a-b", "a_b") would map
// to the same identifier, so a counter tells them apart. The kind prefix
// also keeps Mermaid keywords such as "end" from being an ID.
func uniqueID(k key, used map[string]bool) string {
	var sb strings.Builder
	sb.WriteString(string(k.kind))
	for _, part := range []string{k.dag, k.name} {
		if part == "" {
			continue
		}
		sb.WriteByte('_')
		for _, r := range part {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				sb.WriteRune(r)
			} else {
				sb.WriteByte('_')
			}
		}
	}
	id := sb.String()
	for n := 2; used[id]; n++ {
		id = sb.String() + "_" + strconv.Itoa(n)
	}
	used[id] = true
	return id
}
