package datatypes

// Match reports whether s matches the glob pattern p with Redis's rules
// (KEYS, SCAN MATCH, PSUBSCRIBE): '*' any run, '?' one byte, '[abc]',
// '[^abc]', '[a-z]' classes (reversed ranges allowed), and '\' escaping the
// next byte. Matching is byte-wise and case-sensitive. Quirks kept from
// Redis: an empty s matches no pattern at all (callers special-case a lone
// "*"), an unterminated class ends at the pattern's end, and range bounds
// compare as signed chars. Patterns with many stars cost polynomial, not
// exponential, time.
func Match(p, s []byte) bool {
	var giveUp bool
	return globMatch(p, s, false, &giveUp)
}

// MatchFold is Match ignoring ASCII case (CONFIG GET's matching).
func MatchFold(p, s []byte) bool {
	var giveUp bool
	return globMatch(p, s, true, &giveUp)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func sameByte(a, b byte, fold bool) bool {
	return a == b || (fold && lower(a) == lower(b))
}

// globMatch matches p against s. giveUp is set once a '*' has tried every
// remaining suffix of s without success: a longer match for an earlier '*'
// can then never succeed either, so every pending alternative stops.
func globMatch(p, s []byte, fold bool, giveUp *bool) bool {
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for ; len(s) > 0; s = s[1:] {
				if globMatch(p[1:], s, fold, giveUp) {
					return true
				}
				if *giveUp {
					return false
				}
			}
			*giveUp = true
			return false
		case '?':
			p, s = p[1:], s[1:]
		case '[':
			ok, rest := matchClass(p[1:], s[0], fold)
			if !ok {
				return false
			}
			p, s = rest, s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !sameByte(p[0], s[0], fold) {
				return false
			}
			p, s = p[1:], s[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
		}
	}
	return len(p) == 0 && len(s) == 0
}

// matchClass matches c against a class whose body starts at p (just after
// '[') and returns the pattern after the closing ']', or the empty rest for
// an unterminated class.
func matchClass(p []byte, c byte, fold bool) (bool, []byte) {
	not := len(p) > 0 && p[0] == '^'
	if not {
		p = p[1:]
	}
	match := false
	for len(p) > 0 && p[0] != ']' {
		switch {
		case p[0] == '\\' && len(p) >= 2:
			if p[1] == c {
				match = true
			}
			p = p[2:]
		case len(p) >= 3 && p[1] == '-':
			lo, hi, x := int(int8(p[0])), int(int8(p[2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if fold {
				lo, hi, x = int(int8(lower(byte(lo)))), int(int8(lower(byte(hi)))), int(int8(lower(c)))
			}
			if x >= lo && x <= hi {
				match = true
			}
			p = p[3:]
		default:
			if sameByte(p[0], c, fold) {
				match = true
			}
			p = p[1:]
		}
	}
	if len(p) > 0 {
		p = p[1:] // the closing ']'
	}
	return match != not, p
}
