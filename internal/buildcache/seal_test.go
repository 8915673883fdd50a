package buildcache

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/targets"
)

func sampleEntry() *Entry {
	return &Entry{
		Name: "tweets",
		Files: []targets.File{
			{Path: "tweets/k8s/base/kustomization.yaml", Data: []byte("resources:\n- a.yaml\n")},
			{Path: "tweets/rendered/dev/empty.yaml", Data: []byte{}, Env: "dev"},
			{Path: "tweets/dags/prod/daily.py", Data: []byte("from airflow import DAG\n"), Env: "prod"},
		},
		Warnings: compiler.Diagnostics{{File: "pipelines/tweets/pipeline.cue", Line: 3, Column: 5, Path: "services.collector", Message: "no probe", Severity: compiler.Warning, Code: compiler.CodeSingleReplica}},
	}
}

// An entry reads back as it was stored: names, environments, contents
// (an empty one included) and warnings.
func TestEntryRoundTrip(t *testing.T) {
	c, _ := Open(t.TempDir())
	want := sampleEntry()
	if err := c.Put("k0", want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get("k0")
	if !ok {
		t.Fatal("miss right after Put")
	}
	if got.Name != want.Name || !reflect.DeepEqual(got.Warnings, want.Warnings) || len(got.Files) != len(want.Files) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i, f := range got.Files {
		w := want.Files[i]
		if f.Path != w.Path || f.Env != w.Env || !bytes.Equal(f.Data, w.Data) {
			t.Errorf("file %d: got %q %q %q, want %q %q %q", i, f.Path, f.Env, f.Data, w.Path, w.Env, w.Data)
		}
	}
	// The contents share one buffer; appending to one must not reach the
	// next, the empty one included.
	got.Files[0].Data = append(got.Files[0].Data, "XXXX"...)
	got.Files[1].Data = append(got.Files[1].Data, "YYYY"...)
	if string(got.Files[2].Data) != "from airflow import DAG\n" {
		t.Errorf("appending to one file's content changed another's: %q", got.Files[2].Data)
	}
}

// A file damaged anywhere, cut short at any length or zero-filled, as a
// crash can leave one, is a miss, never a wrong result.
func TestDamagedEntriesAreMisses(t *testing.T) {
	c, _ := Open(t.TempDir())
	if err := c.Put("k1", sampleEntry()); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(c.path("k1"))
	if err != nil {
		t.Fatal(err)
	}
	try := func(what string, b []byte) {
		t.Helper()
		if err := os.WriteFile(c.path("k1"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if e, ok := c.Get("k1"); ok {
			t.Fatalf("%s: read as a hit: %+v", what, e)
		}
	}
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 0x20
		try("a flipped bit", b)
	}
	for n := range len(good) {
		try("cut short", good[:n])
	}
	try("zero-filled", make([]byte, len(good)))
	zeroTail := bytes.Clone(good)
	clear(zeroTail[len(good)/2:])
	try("zero-filled from the middle", zeroTail)
	try("one byte more", append(bytes.Clone(good), 0))
}

// Stamps are sealed too.
func TestDamagedStampsAreMisses(t *testing.T) {
	c, _ := Open(t.TempDir())
	s := &Stamp{Name: "tweets", Tree: []byte("f 1 2 3\n")}
	if err := c.PutStamp("k2", "/out", s); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.GetStamp("k2", "/out"); !ok || got.Name != "tweets" || string(got.Tree) != "f 1 2 3\n" {
		t.Fatalf("got %+v, %v", got, ok)
	}
	good, _ := os.ReadFile(c.stampPath("k2", "/out"))
	b := bytes.Clone(good)
	b[len(b)/2] ^= 1
	os.WriteFile(c.stampPath("k2", "/out"), b, 0o644)
	if _, ok := c.GetStamp("k2", "/out"); ok {
		t.Fatal("a damaged stamp was used")
	}
}

// A stamp keeps its name, warnings and tree; one without warnings reads
// back with none.
func TestStampsRoundTrip(t *testing.T) {
	c, _ := Open(t.TempDir())
	for _, want := range []*Stamp{
		{Name: "tweets", Warnings: sampleEntry().Warnings, Tree: []byte("g 1 2 644 3 4 5 tweets/a.yaml\n")},
		{Name: "quiet", Tree: []byte("- 1 2 40755 4096 4 5 quiet\n")},
	} {
		if err := c.PutStamp("k", "/out", want); err != nil {
			t.Fatal(err)
		}
		got, ok := c.GetStamp("k", "/out")
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("stamp %s: got %+v, %v; want %+v", want.Name, got, ok, want)
		}
	}
	// Lengths that run past the payload are damage, not a panic.
	for _, payload := range [][]byte{{}, {5, 'a'}, {1, 'a', 9}, {1, 'a', 1, 0xff}} {
		if _, err := decodeStamp(payload); err == nil {
			t.Errorf("payload %v decoded", payload)
		}
	}
}

// An entry that passes its checksum but whose head disagrees with its
// contents (pipec's own bug, or a file written by another layout of the
// same version) is refused too.
func TestEntriesWithInconsistentSizesAreRefused(t *testing.T) {
	e := sampleEntry()
	b, err := encodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := unseal(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeEntry(payload[:len(payload)-1]); err == nil {
		t.Error("a payload one byte short decoded")
	}
	if _, err := decodeEntry(append(bytes.Clone(payload), 'x')); err == nil {
		t.Error("a payload one byte long decoded")
	}
}

// Entries are stored compressed: YAML repeats itself, and the cache would
// otherwise double what a cold build writes.
func TestEntriesAreStoredCompressed(t *testing.T) {
	c, _ := Open(t.TempDir())
	doc := []byte(strings.Repeat("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n", 200))
	e := &Entry{Name: "p", Files: []targets.File{{Path: "p/a.yaml", Data: doc}, {Path: "p/b.yaml", Data: doc}}}
	if err := c.Put("k3", e); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(c.path("k3"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > int64(2*len(doc))/4 {
		t.Errorf("an entry of %d bytes of YAML takes %d bytes on disk", 2*len(doc), info.Size())
	}
	got, ok := c.Get("k3")
	if !ok || !bytes.Equal(got.Files[1].Data, doc) {
		t.Fatal("the compressed entry does not read back")
	}
}
