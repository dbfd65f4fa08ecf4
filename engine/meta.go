package engine

import (
	"encoding/binary"
	"errors"
)

// Type is the kind of value a key holds.
type Type uint8

// Key types. The zero value is not a type, so a zero Meta is never mistaken
// for a string.
const (
	TypeString Type = iota + 1
	TypeList
	TypeHash
	TypeSet
	TypeZSet
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeHash:
		return "hash"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	}
	return "none"
}

// IsCollection reports whether elements live in the data bucket.
func (t Type) IsCollection() bool { return t >= TypeList && t <= TypeZSet }

// Meta is the record kept for every key. Strings carry their value inline;
// collections carry a version naming their elements in the data bucket.
//
// Slices (Value, Tag) returned by a lookup alias the transaction's memory and
// are valid only until the transaction ends: copy them to keep them.
type Meta struct {
	Type     Type
	ExpireAt int64  // unix ms; 0 = no expiry
	StoredAt int64  // unix ms of the last write (least-recently-stored order)
	AccessAt int64  // unix ms of the last access (may lag by the touch-buffer interval)
	Freq     uint8  // LFU logarithmic counter
	Version  uint64 // collections: prefix of the elements in the data bucket
	Count    int64  // collections: number of elements
	Head     int64  // lists: sequence of the first element
	Tail     int64  // lists: sequence one past the last element
	Tag      []byte // optional cache tag
	// Raw: a string written in place (APPEND to an existing value,
	// SETRANGE, SETBIT, BITFIELD, BITOP's result). OBJECT ENCODING then
	// says "raw" whatever the length, as Redis does; SET, INCR… clear it.
	Raw   bool
	Value []byte // strings: the value
}

const (
	metaFormat = 1

	flagTag = 1 << 0
	flagRaw = 1 << 1

	metaFixed = 3 + 8 + 8 + 8 + 1 // format, type, flags, expire, stored, access, freq
)

// ErrCorruptMeta is returned when a stored Meta record cannot be decoded.
var ErrCorruptMeta = errors.New("engine: corrupt meta record")

// appendMeta encodes m after buf.
func appendMeta(buf []byte, m *Meta) []byte {
	var flags byte
	if len(m.Tag) > 0 {
		flags |= flagTag
	}
	if m.Raw {
		flags |= flagRaw
	}
	buf = append(buf, metaFormat, byte(m.Type), flags)
	buf = binary.BigEndian.AppendUint64(buf, uint64(m.ExpireAt))
	buf = binary.BigEndian.AppendUint64(buf, uint64(m.StoredAt))
	buf = binary.BigEndian.AppendUint64(buf, uint64(m.AccessAt))
	buf = append(buf, m.Freq)
	if m.Type.IsCollection() {
		buf = binary.BigEndian.AppendUint64(buf, m.Version)
		buf = binary.BigEndian.AppendUint64(buf, uint64(m.Count))
		if m.Type == TypeList {
			buf = binary.BigEndian.AppendUint64(buf, uint64(m.Head))
			buf = binary.BigEndian.AppendUint64(buf, uint64(m.Tail))
		}
	}
	if flags&flagTag != 0 {
		buf = binary.AppendUvarint(buf, uint64(len(m.Tag)))
		buf = append(buf, m.Tag...)
	}
	if m.Type == TypeString {
		buf = append(buf, m.Value...)
	}
	return buf
}

// decodeMeta decodes b into m. Value and Tag alias b.
func decodeMeta(b []byte, m *Meta) error {
	if len(b) < metaFixed || b[0] != metaFormat {
		return ErrCorruptMeta
	}
	*m = Meta{Type: Type(b[1])}
	flags := b[2]
	m.Raw = flags&flagRaw != 0
	m.ExpireAt = int64(binary.BigEndian.Uint64(b[3:]))
	m.StoredAt = int64(binary.BigEndian.Uint64(b[11:]))
	m.AccessAt = int64(binary.BigEndian.Uint64(b[19:]))
	m.Freq = b[27]
	b = b[metaFixed:]
	if m.Type.IsCollection() {
		if len(b) < 16 {
			return ErrCorruptMeta
		}
		m.Version = binary.BigEndian.Uint64(b)
		m.Count = int64(binary.BigEndian.Uint64(b[8:]))
		b = b[16:]
		if m.Type == TypeList {
			if len(b) < 16 {
				return ErrCorruptMeta
			}
			m.Head = int64(binary.BigEndian.Uint64(b))
			m.Tail = int64(binary.BigEndian.Uint64(b[8:]))
			b = b[16:]
		}
	} else if m.Type != TypeString {
		return ErrCorruptMeta
	}
	if flags&flagTag != 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return ErrCorruptMeta
		}
		m.Tag = b[w : w+int(n)]
		b = b[w+int(n):]
	}
	if m.Type == TypeString {
		m.Value = b
	}
	return nil
}

// metaExpireAt reads only the expiry of an encoded record (fast path for
// expiry checks that do not need the rest).
func metaExpireAt(b []byte) int64 {
	if len(b) < metaFixed {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b[3:]))
}
