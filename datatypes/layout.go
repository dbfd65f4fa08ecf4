package datatypes

// MemberOfSub returns the member named by a set or sorted-set element
// sub-key, and false for entries that are not member entries (a sorted
// set's score index). It lets callers outside this package (OBJECT
// ENCODING) look at members without knowing the layout.
func MemberOfSub(sub []byte) ([]byte, bool) {
	if len(sub) == 0 || sub[0] != memberTag {
		return nil, false
	}
	return sub[1:], true
}
