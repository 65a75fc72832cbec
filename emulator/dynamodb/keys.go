package dynamodb

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Composite storage keys. A partition prefix is the FNV-1a hash of the
// partition key's order-preserving bytes (8 bytes, big endian) followed by
// those bytes escaped; the sort key follows, escaped too. Escaping (0x00 ->
// 0x00 0xFF, terminator 0x00 0x01) keeps byte order and makes every part
// prefix-free, so an index key can carry the table key after its own parts
// and still sort by index key first.

func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, c)
		}
	}
	return append(dst, 0, 1)
}

func partHash(kb []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(kb)
	return h.Sum64()
}

// appendPart appends the partition prefix for hash key value v.
func appendPart(dst []byte, v attr.Value) []byte {
	kb := attr.KeyBytes(v)
	dst = binary.BigEndian.AppendUint64(dst, partHash(kb))
	return appendEscaped(dst, kb)
}

// appendSort appends the escaped sort-key encoding of v.
func appendSort(dst []byte, v attr.Value) []byte {
	return appendEscaped(dst, attr.KeyBytes(v))
}

// keyHash reads the partition hash back from a composite key.
func keyHash(k string) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64([]byte(k[:8]))
}

// segmentBounds returns the hash range [lo, hi) of parallel-scan segment seg
// of total; last reports that hi is 2^64 (no upper bound).
func segmentBounds(seg, total int) (lo, hi uint64, last bool) {
	lo, _ = bits.Div64(uint64(seg), 0, uint64(total))
	if seg+1 >= total {
		return lo, 0, true
	}
	hi, _ = bits.Div64(uint64(seg+1), 0, uint64(total))
	return lo, hi, false
}

func hashPrefix(h uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	return string(b[:])
}
