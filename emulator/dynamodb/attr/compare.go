package attr

import (
	"bytes"
	"strings"
)

// Compare orders two scalar values of the same type: S and B by unsigned
// bytes, N numerically. ok is false when the types differ or are not
// ordered (BOOL, NULL, L, M, sets).
func Compare(a, b Value) (int, bool) {
	if a.Kind != b.Kind {
		return 0, false
	}
	switch a.Kind {
	case S:
		return strings.Compare(a.Str, b.Str), true
	case N:
		return compareNumbers(a.Str, b.Str), true
	case B:
		return bytes.Compare(a.Bin, b.Bin), true
	}
	return 0, false
}

// Equal is DynamoDB equality: same type and equal value, numbers compared
// numerically, sets as unordered sets, lists and maps deeply.
func Equal(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case S:
		return a.Str == b.Str
	case N:
		return compareNumbers(a.Str, b.Str) == 0
	case B:
		return bytes.Equal(a.Bin, b.Bin)
	case BOOL:
		return a.Bool == b.Bool
	case NULL:
		return true
	case L:
		if len(a.List) != len(b.List) {
			return false
		}
		for i := range a.List {
			if !Equal(a.List[i], b.List[i]) {
				return false
			}
		}
		return true
	case M:
		if len(a.Map) != len(b.Map) {
			return false
		}
		for k, av := range a.Map {
			bv, ok := b.Map[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case SS:
		return sameStrings(a.Strs, b.Strs, func(x, y string) bool { return x == y })
	case NS:
		return sameStrings(a.Strs, b.Strs, func(x, y string) bool { return compareNumbers(x, y) == 0 })
	case BS:
		if len(a.Bins) != len(b.Bins) {
			return false
		}
		for _, x := range a.Bins {
			if !ContainsBin(b.Bins, x) {
				return false
			}
		}
		return true
	}
	return false
}

// sameStrings compares two duplicate-free sets.
func sameStrings(a, b []string, eq func(x, y string) bool) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if eq(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ContainsBin reports whether set holds x.
func ContainsBin(set [][]byte, x []byte) bool {
	for _, y := range set {
		if bytes.Equal(x, y) {
			return true
		}
	}
	return false
}

// SetContains reports whether the set value (SS, NS or BS) holds the scalar
// e of the matching element type (S, N or B).
func SetContains(set Value, e Value) bool {
	switch {
	case set.Kind == SS && e.Kind == S:
		for _, x := range set.Strs {
			if x == e.Str {
				return true
			}
		}
	case set.Kind == NS && e.Kind == N:
		for _, x := range set.Strs {
			if compareNumbers(x, e.Str) == 0 {
				return true
			}
		}
	case set.Kind == BS && e.Kind == B:
		return ContainsBin(set.Bins, e.Bin)
	}
	return false
}

// Size is a value's size in bytes as DynamoDB counts it (reference §3.5).
func Size(v Value) int {
	switch v.Kind {
	case S:
		return len(v.Str)
	case N:
		return numberSize(v.Str)
	case B:
		return len(v.Bin)
	case BOOL, NULL:
		return 1
	case L:
		n := 3
		for i := range v.List {
			n += Size(v.List[i]) + 1
		}
		return n
	case M:
		n := 3
		for k, e := range v.Map {
			n += len(k) + Size(e) + 1
		}
		return n
	case SS:
		n := 0
		for _, s := range v.Strs {
			n += len(s)
		}
		return n
	case NS:
		n := 0
		for _, s := range v.Strs {
			n += numberSize(s)
		}
		return n
	case BS:
		n := 0
		for _, b := range v.Bins {
			n += len(b)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	v, _ := scanNumber(s)
	return (v.ndigits()+1)/2 + 1
}

// ItemSize is the item's size: attribute names plus values.
func ItemSize(it Item) int {
	n := 0
	for k, v := range it {
		n += len(k) + Size(v)
	}
	return n
}

// KeyBytes is an order-preserving encoding of an S, N or B key value:
// bytes.Compare on two encodings of the same type agrees with DynamoDB's
// ordering. S and B encode as their bytes; N as a sign byte, a biased
// exponent and the digits (complemented for negative numbers).
func KeyBytes(v Value) []byte {
	switch v.Kind {
	case S:
		return []byte(v.Str)
	case B:
		return v.Bin
	case N:
		return AppendNumberKey(nil, v.Str)
	}
	return nil
}

// expBias lifts DynamoDB's exponent range (-129..126 for 0.d×10^e) into
// single unsigned byte.
const expBias = 129

// AppendNumberKey appends the order-preserving encoding of the number s.
func AppendNumberKey(dst []byte, s string) []byte {
	v, _ := scanNumber(s)
	if v.zero() {
		return append(dst, 0x80)
	}
	if !v.neg {
		dst = append(dst, 0x81, byte(v.exp+expBias))
		for i := v.lo; i < v.hi; i++ {
			if v.m[i] != '.' {
				dst = append(dst, v.m[i])
			}
		}
		return dst
	}
	dst = append(dst, 0x7f, byte(255-(v.exp+expBias)))
	for i := v.lo; i < v.hi; i++ {
		if c := v.m[i]; c != '.' {
			dst = append(dst, '0'+'9'-c)
		}
	}
	return append(dst, 0xff)
}
