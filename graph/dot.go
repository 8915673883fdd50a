package graph

import (
	"fmt"
	"strconv"
	"strings"
)

// dotShape is each kind's Graphviz shape, chosen like Mermaid's.
var dotShape = map[Kind]string{
	Image:        "component",
	Service:      "box",
	Topic:        "cds",
	Subscription: "oval",
	Task:         "box",
	Table:        "cylinder",
	Bucket:       "cylinder",
}

// DOT writes the graph in Graphviz's DOT language, left to right, each
// DAG's tasks in a cluster of their own (`dot -Tsvg` draws it).
func (g *Graph) DOT() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "// pipeline %s, environment %s\n", g.Pipeline, g.Env)
	fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(g.Pipeline))
	b.WriteString("  rankdir=LR;\n")
	for _, n := range g.Nodes {
		if n.Kind != Task {
			b.WriteString("  " + dotNode(n) + "\n")
		}
	}
	for i, dag := range g.DAGs {
		fmt.Fprintf(&b, "  subgraph cluster_dag_%d {\n    label=%s;\n", i+1, strconv.Quote("DAG "+dag))
		for _, n := range g.Nodes {
			if n.Kind == Task && n.DAG == dag {
				b.WriteString("    " + dotNode(n) + "\n")
			}
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+strconv.Quote(e.Label))
		}
		if e.Side {
			attrs = append(attrs, "style=dashed")
		}
		line := e.From + " -> " + e.To
		if len(attrs) > 0 {
			line += " [" + strings.Join(attrs, ", ") + "]"
		}
		b.WriteString("  " + line + ";\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// dotNode writes a node. strconv.Quote escapes quotes and backslashes as
// DOT's quoted strings need, and writes the line break as \n, which DOT
// draws as one.
func dotNode(n Node) string {
	label := strconv.Quote(string(n.Kind) + "\n" + n.Name)
	return fmt.Sprintf("%s [label=%s, shape=%s];", n.ID, label, dotShape[n.Kind])
}
