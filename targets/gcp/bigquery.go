package gcp

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/pipec/pipec/schema"
)

// dataset is a BigQuery dataset.
type dataset struct {
	id, name, location string
	d                  *schema.Dataset
}

// table is a BigQuery table; its name is "<dataset>.<table>", which is
// unique because a dataset label holds no dot.
type table struct {
	ds   *dataset
	id   string
	name string
	t    *schema.Table
}

// ref is the table as the spec writes it, "dataset.table".
func (t *table) ref() string { return t.ds.id + "." + t.id }

func (e *env) bigquery() {
	for _, id := range slices.Sorted(maps.Keys(e.p.Datasets)) {
		d := e.p.Datasets[id]
		loc := d.Location
		if loc == "" {
			// Keep the data where the pipeline runs rather than in
			// BigQuery's default multi-region (US).
			loc = e.p.Region
		}
		ds := &dataset{id: id, name: bigqueryLabel(id), location: loc, d: d}
		e.datasets = append(e.datasets, ds)
		for _, tid := range slices.Sorted(maps.Keys(d.Tables)) {
			e.tables = append(e.tables, &table{ds: ds, id: tid, name: name(ds.name, bigqueryLabel(tid)), t: d.Tables[tid]})
		}
	}
}

// table finds a table by its "dataset.table" reference.
func (e *env) table(ref string) *table {
	for _, t := range e.tables {
		if t.ref() == ref {
			return t
		}
	}
	return nil
}

// schemaJSON is the table schema as the BigQuery API writes it, the string
// the BigQueryTable CRD and `bq mk --schema` take.
func schemaJSON(t *schema.Table) (string, error) {
	fields := t.Fields
	if fields == nil {
		fields = []schema.Field{}
	}
	b, err := json.Marshal(fields)
	return string(b), err
}

func (e *env) bigqueryObjects() error {
	for _, d := range e.datasets {
		spec := map[string]any{"resourceID": d.id, "location": d.location}
		if d.d.Description != "" {
			spec["description"] = d.d.Description
		}
		if err := e.add("BigQueryDataset", d.name, "dataset "+d.id, spec, annotations(e.p.Project, true), e.labels); err != nil {
			return err
		}
	}
	for _, t := range e.tables {
		sch, err := schemaJSON(t.t)
		if err != nil {
			return err
		}
		spec := map[string]any{
			"resourceID": t.id,
			"datasetRef": map[string]any{"name": t.ds.name},
			"schema":     sch,
		}
		if t.t.Description != "" {
			spec["description"] = t.t.Description
		}
		if pt := t.t.Partition; pt != nil {
			tp := map[string]any{"type": pt.By}
			if pt.Field != "" {
				tp["field"] = pt.Field
			}
			if pt.Expiration > 0 {
				tp["expirationMs"] = pt.Expiration.Seconds() * 1000
			}
			spec["timePartitioning"] = tp
		}
		if len(t.t.Clustering) > 0 {
			spec["clustering"] = anyList(t.t.Clustering)
		}
		if err := e.add("BigQueryTable", t.name, "table "+t.ref(), spec, annotations(e.p.Project, true), e.labels); err != nil {
			return err
		}
	}
	return nil
}

// bqTable is a table as bq names it, "project:dataset.table".
func (e *env) bqTable(t *table) string { return e.p.Project + ":" + t.ref() }

// bqDataset is a dataset as bq names it, "project:dataset".
func (e *env) bqDataset(d *dataset) string { return e.p.Project + ":" + d.id }

// clustering is the bq flag value for a table's clustering columns.
func clustering(t *schema.Table) string { return strings.Join(t.Clustering, ",") }
