package buildcache

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
)

// goBuildID returns the build ID that go build wrote into the ELF
// executable at p. Its last part is a hash of the executable's content, so
// it identifies pipec's build as well as hashing the whole file would,
// without reading tens of megabytes on every build whose cache is cold.
// ok is false for other executables, and for IDs go build would not have
// written (a binary linked with -buildid= or a made-up ID): those are
// hashed instead.
func goBuildID(p string) (id string, ok bool) {
	f, err := elf.Open(p)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return "", false
	}
	data, err := sec.Data()
	if err != nil {
		return "", false
	}
	return parseBuildIDNote(data, f.ByteOrder)
}

// goBuildIDNoteType is the type of the ELF note that holds a Go build ID,
// whose owner is "Go".
const goBuildIDNoteType = 4

// parseBuildIDNote reads an ELF note holding a Go build ID.
func parseBuildIDNote(note []byte, order binary.ByteOrder) (string, bool) {
	if len(note) < 16 {
		return "", false
	}
	nameSize, descSize, typ := order.Uint32(note), order.Uint32(note[4:]), order.Uint32(note[8:])
	name := note[12:]
	if nameSize != 4 || typ != goBuildIDNoteType || !bytes.HasPrefix(name, []byte("Go\x00\x00")) {
		return "", false
	}
	desc := name[4:]
	if uint64(descSize) > uint64(len(desc)) {
		return "", false
	}
	id := string(desc[:descSize])
	return id, wellFormedBuildID(id)
}

// wellFormedBuildID reports whether id has the shape go build gives an
// executable's build ID: four hashes of 20 base64url characters, the last
// of which hashes the executable's content.
func wellFormedBuildID(id string) bool {
	parts := strings.Split(id, "/")
	if len(parts) != 4 {
		return false
	}
	for _, part := range parts {
		if len(part) != 20 || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}
