package graph

import (
	"fmt"
	"strings"
)

// mermaidShape opens and closes a node of each kind, so a reader tells
// kinds apart without a legend: cylinders hold data, the flag is a topic.
var mermaidShape = map[Kind][2]string{
	Image:        {`[["`, `"]]`},
	Service:      {`["`, `"]`},
	Topic:        {`>"`, `"]`},
	Subscription: {`(["`, `"])`},
	Task:         {`("`, `")`},
	Table:        {`[("`, `")]`},
	Bucket:       {`[("`, `")]`},
}

// Mermaid writes the graph as a Mermaid flowchart, left to right. Each
// DAG's tasks are drawn in a subgraph of their own.
func (g *Graph) Mermaid() []byte {
	var b strings.Builder
	// The comment follows the header: some Mermaid versions detect the
	// diagram type from the first line.
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(&b, "  %%%% pipeline %s, environment %s\n", g.Pipeline, g.Env)
	for _, n := range g.Nodes {
		if n.Kind != Task {
			b.WriteString("  " + mermaidNode(n) + "\n")
		}
	}
	for i, dag := range g.DAGs {
		fmt.Fprintf(&b, "  subgraph dag_%d[%s]\n", i+1, mermaidText("DAG "+dag))
		for _, n := range g.Nodes {
			if n.Kind == Task && n.DAG == dag {
				b.WriteString("    " + mermaidNode(n) + "\n")
			}
		}
		b.WriteString("  end\n")
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Side {
			arrow = "-.->"
		}
		if e.Label != "" {
			arrow += "|" + mermaidText(e.Label) + "|"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
	}
	return []byte(b.String())
}

func mermaidNode(n Node) string {
	s := mermaidShape[n.Kind]
	label := string(n.Kind) + " " + n.Name
	return n.ID + s[0] + mermaidEscape(label) + s[1]
}

// mermaidText quotes a subgraph title or edge label.
func mermaidText(s string) string { return `"` + mermaidEscape(s) + `"` }

// mermaidEscape writes the characters that would end a quoted label as
// Mermaid's entity codes. Spec names are validated and rarely hold them,
// but a Pub/Sub ID may hold '%' and a label must never break the chart.
func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "#", "#35;", "<", "#lt;", ">", "#gt;", "\n", " ").Replace(s)
}
