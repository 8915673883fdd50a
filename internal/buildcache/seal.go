package buildcache

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"hash/crc32"
	"os"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/targets"
)

// What the cache keeps on disk is sealed: a fixed header, the payload and a
// CRC-32C of both. A file cut short or zero-filled by a crash, which the
// rename that publishes it cannot rule out on every file system, then
// reads as a miss rather than as output that was never built.
//
// An entry's payload is a small gob head (the name, the warnings, each
// file's path, environment and size) followed by the files' contents, one
// after the other and compressed as one S2 block. Not gob: it copied every
// file through a growing buffer, which cost a cold build more than writing
// the contents did. S2 (Snappy's successor) takes a pipeline's YAML to a
// sixth at about 1 GB/s; the cache otherwise doubled the bytes a cold
// build writes, and its final sync waits for them.

// sealMagic starts every sealed file; its version changes with the layout.
const sealMagic = "pipec cache 3\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errDamaged is what a sealed file that fails its checks reads as.
var errDamaged = errors.New("damaged cache file")

// seal frames payloads, written one after the other, into one buffer of
// the right size.
func seal(payloads ...[]byte) []byte {
	n := len(sealMagic) + crc32.Size
	for _, p := range payloads {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, sealMagic...)
	for _, p := range payloads {
		b = append(b, p...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// unseal returns the payload of a sealed file, or errDamaged.
func unseal(b []byte) ([]byte, error) {
	if len(b) < len(sealMagic)+crc32.Size || string(b[:len(sealMagic)]) != sealMagic {
		return nil, errDamaged
	}
	end := len(b) - crc32.Size
	if crc32.Checksum(b[:end], castagnoli) != binary.BigEndian.Uint32(b[end:]) {
		return nil, errDamaged
	}
	return b[len(sealMagic):end], nil
}

// readSealed returns the payload of the sealed file at p.
func readSealed(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return unseal(b)
}

// entryHead is an entry without its files' contents.
type entryHead struct {
	Name     string
	Warnings compiler.Diagnostics
	Files    []fileHead
}

type fileHead struct {
	Path, Env string
	Size      int
}

// encodeEntry returns e sealed.
func encodeEntry(e *Entry) ([]byte, error) {
	head := entryHead{Name: e.Name, Warnings: e.Warnings, Files: make([]fileHead, len(e.Files))}
	for i, f := range e.Files {
		head.Files[i] = fileHead{Path: f.Path, Env: f.Env, Size: len(f.Data)}
	}
	var h bytes.Buffer
	if err := gob.NewEncoder(&h).Encode(&head); err != nil {
		return nil, err
	}
	buf := encodeScratch.Get().(*entryScratch)
	defer encodeScratch.Put(buf)
	buf.contents = buf.contents[:0]
	for _, f := range e.Files {
		buf.contents = append(buf.contents, f.Data...)
	}
	// s2.Encode writes into compressed when it is large enough; seal copies
	// the result out, so both buffers serve the next entry.
	if n := s2.MaxEncodedLen(len(buf.contents)); cap(buf.compressed) < n {
		buf.compressed = make([]byte, n)
	}
	buf.compressed = s2.Encode(buf.compressed[:cap(buf.compressed)], buf.contents)
	return seal(binary.AppendUvarint(nil, uint64(h.Len())), h.Bytes(), buf.compressed), nil
}

// entryScratch holds the buffers encodeEntry gathers and compresses a
// pipeline's files in: a cold build encodes one entry per pipeline, each
// about as large as the last.
type entryScratch struct{ contents, compressed []byte }

var encodeScratch = sync.Pool{New: func() any { return new(entryScratch) }}

// decodeEntry reads an entry from an unsealed payload. The files' contents
// share the payload's memory, each capped so that appending to one cannot
// write over the next.
func decodeEntry(payload []byte) (*Entry, error) {
	n, k := binary.Uvarint(payload)
	if k <= 0 || n > uint64(len(payload)-k) {
		return nil, errDamaged
	}
	var head entryHead
	if err := gob.NewDecoder(bytes.NewReader(payload[k : k+int(n)])).Decode(&head); err != nil {
		return nil, errDamaged
	}
	data, err := s2.Decode(nil, payload[k+int(n):])
	if err != nil {
		return nil, errDamaged
	}
	e := &Entry{Name: head.Name, Warnings: head.Warnings}
	if len(head.Files) > 0 {
		e.Files = make([]targets.File, len(head.Files))
	}
	for i, f := range head.Files {
		if f.Size < 0 || f.Size > len(data) {
			return nil, errDamaged
		}
		e.Files[i] = targets.File{Path: f.Path, Env: f.Env, Data: data[:f.Size:f.Size]}
		data = data[f.Size:]
	}
	if len(data) != 0 {
		return nil, errDamaged
	}
	return e, nil
}

// encodeStamp seals a stamp: the name and the warnings, each after its
// length, then the tree. The warnings are in gob, and absent when there
// are none (most pipelines): a no-op build reads a stamp per pipeline, and
// a gob decoder per stamp cost more than reading the tree.
func encodeStamp(s *Stamp) ([]byte, error) {
	var warnings bytes.Buffer
	if len(s.Warnings) > 0 {
		if err := gob.NewEncoder(&warnings).Encode(s.Warnings); err != nil {
			return nil, err
		}
	}
	head := binary.AppendUvarint(nil, uint64(len(s.Name)))
	head = append(head, s.Name...)
	head = binary.AppendUvarint(head, uint64(warnings.Len()))
	return seal(head, warnings.Bytes(), s.Tree), nil
}

// decodeStamp reads a stamp from an unsealed payload. The tree shares the
// payload's memory.
func decodeStamp(payload []byte) (*Stamp, error) {
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(payload)
		if k <= 0 || n > uint64(len(payload)-k) {
			return nil, false
		}
		f := payload[k : k+int(n)]
		payload = payload[k+int(n):]
		return f, true
	}
	name, ok := field()
	if !ok {
		return nil, errDamaged
	}
	warnings, ok := field()
	if !ok {
		return nil, errDamaged
	}
	s := &Stamp{Name: string(name), Tree: payload}
	if len(warnings) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(warnings)).Decode(&s.Warnings); err != nil {
			return nil, errDamaged
		}
	}
	return s, nil
}
