package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// The write-ahead log makes a batch durable with one sequential append (and,
// under appendfsync always, one fdatasync) instead of bbolt's random page
// writes. It is a sequence of segment files wal-<seq>.log in the data
// directory; each memtable's writes end in one segment, so once a memtable is
// in bbolt (fsynced) the segments up to its own are deleted.
//
// A record is one committed batch:
//
//	len uint32 | crc32c(payload) uint32 | payload
//	payload = op*,  op = kind(1) | bucket(1) | uvarint(len k) | k [| uvarint(len v) | v]
//
// Replay stops at the first short or corrupt record: everything after it was
// never acknowledged under appendfsync always, and is at most the last
// second's writes under everysec.

const (
	opPut byte = 1
	opDel byte = 2

	walPrefix = "wal-"
	walSuffix = ".log"
	maxRecord = 1 << 31
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type wal struct {
	dir string

	mu   sync.Mutex // guards f (the sync ticker and Close race the committer)
	f    *os.File
	seg  uint64
	size int64
	hdr  [8]byte
	buf  []byte // one record, reused

	written atomic.Int64 // bytes appended since open, every segment
}

func walName(dir string, seg uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%016x%s", walPrefix, seg, walSuffix))
}

// listSegments returns the WAL segment numbers in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []uint64
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, walPrefix) || !strings.HasSuffix(n, walSuffix) {
			continue
		}
		var seg uint64
		if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(n, walPrefix), walSuffix), "%x", &seg); err == nil {
			segs = append(segs, seg)
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	return segs, nil
}

// openWAL starts a new segment after the given one.
func openWAL(dir string, after uint64) (*wal, error) {
	w := &wal{dir: dir}
	if err := w.openSegment(after + 1); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *wal) openSegment(seg uint64) error {
	f, err := os.OpenFile(walName(w.dir, seg), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create write-ahead log: %w", err)
	}
	w.f, w.seg, w.size = f, seg, 0
	return syncDir(w.dir)
}

// append writes one record; with sync it also fdatasyncs.
func (w *wal) append(payload []byte, sync bool) error {
	binary.BigEndian.PutUint32(w.hdr[0:], uint32(len(payload)))
	binary.BigEndian.PutUint32(w.hdr[4:], crc32.Checksum(payload, crcTable))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return ErrClosed
	}
	// One write for header and payload keeps a torn record detectable.
	buf := append(append(w.buf[:0], w.hdr[:]...), payload...)
	if cap(buf) <= 1<<20 {
		w.buf = buf
	} else {
		w.buf = nil // a huge batch: do not keep its storage
	}
	if _, err := w.f.Write(buf); err != nil {
		return err
	}
	w.size += int64(len(buf))
	w.written.Add(int64(len(buf)))
	if sync {
		return fdatasync(w.f)
	}
	return nil
}

// sync fdatasyncs the current segment.
func (w *wal) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	return fdatasync(w.f)
}

// rotate syncs and closes the current segment and starts the next one. It
// returns the number of the segment just closed.
func (w *wal) rotate() (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.seg
	if err := fdatasync(w.f); err != nil {
		return old, err
	}
	w.f.Close()
	return old, w.openSegment(old + 1)
}

// removeThrough deletes segments numbered ≤ seg.
func (w *wal) removeThrough(seg uint64) error {
	segs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s <= seg {
			if err := os.Remove(walName(w.dir, s)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// bytes is the size of the current segment.
func (w *wal) bytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// replaySegment applies every whole record of one segment to m, in order.
// It reports whether the segment ended cleanly (false: a torn or corrupt
// tail, after which nothing may be applied).
func replaySegment(path string, m *memtable) (records int, clean bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return records, err == io.EOF, nil
		}
		n := binary.BigEndian.Uint32(hdr[0:])
		if n >= maxRecord {
			return records, false, nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return records, false, nil
		}
		if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(hdr[4:]) {
			return records, false, nil
		}
		if !applyRecord(payload, m) {
			return records, false, nil
		}
		records++
	}
}

// applyRecord decodes a record's ops into m; false if malformed.
func applyRecord(p []byte, m *memtable) bool {
	for len(p) > 0 {
		if len(p) < 2 {
			return false
		}
		kind, b := p[0], p[1]
		p = p[2:]
		k, rest, ok := readChunk(p)
		if !ok || b >= byte(numBuckets) {
			return false
		}
		p = rest
		item := &memItem{key: append([]byte{b}, k...)}
		switch kind {
		case opPut:
			v, rest, ok := readChunk(p)
			if !ok {
				return false
			}
			p = rest
			item.val = v
		case opDel:
			item.del = true
		default:
			return false
		}
		m.set(item)
	}
	m.undo = m.undo[:0] // replay has no batch to take back
	return true
}

func readChunk(p []byte) (chunk, rest []byte, ok bool) {
	n, w := binary.Uvarint(p)
	if w <= 0 || uint64(len(p)-w) < n {
		return nil, nil, false
	}
	return p[w : w+int(n)], p[w+int(n):], true
}

// appendOp encodes one op after buf.
func appendOp(buf []byte, kind byte, b bucketID, k, v []byte) []byte {
	buf = append(buf, kind, byte(b))
	buf = binary.AppendUvarint(buf, uint64(len(k)))
	buf = append(buf, k...)
	if kind == opPut {
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return buf
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
