package engine

import (
	"bytes"
	"testing"
)

// Pieces of the arena never overlap, an append to one cannot spill into
// the next (its capacity ends at its length), items come zeroed, and a
// request too large for a block gets its own allocation.
func TestArena_PiecesAreSeparate(t *testing.T) {
	var a memArena
	var pieces [][]byte
	for i := range 3000 {
		n := i % 200
		p := a.alloc(n)
		if len(p) != n || cap(p) != n {
			t.Fatalf("alloc(%d): len %d cap %d", n, len(p), cap(p))
		}
		for j := range p {
			p[j] = byte(i)
		}
		pieces = append(pieces, p)
		if it := a.item(); it.key != nil || it.val != nil || it.seq != 0 || it.del {
			t.Fatalf("item %d not zeroed: %+v", i, it)
		}
	}
	for i, p := range pieces {
		if !bytes.Equal(p, bytes.Repeat([]byte{byte(i)}, len(p))) {
			t.Fatalf("piece %d was overwritten", i)
		}
	}
	if p := a.alloc(arenaBytes); len(p) != arenaBytes {
		t.Fatalf("large alloc: len %d", len(p))
	}
	grown := append(pieces[5], 'x')
	if pieces[6][0] != 6 || grown[len(grown)-1] != 'x' {
		t.Fatal("an append ran into the next piece")
	}
}
