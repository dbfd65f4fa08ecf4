package datatypes

// Match reports whether s matches the glob pattern p with Redis's rules
// (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): '*' any run, '?' one byte,
// '[abc]', '[^abc]', '[a-z]' classes, and '\' escaping the next byte.
// Matching is byte-wise and case-sensitive.
func Match(p, s []byte) bool {
	return matchFrom(p, s, 0)
}

func matchFrom(p, s []byte, depth int) bool {
	if depth > 1000 { // pathological patterns: refuse rather than recurse forever
		return false
	}
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchFrom(p[1:], s[i:], depth+1) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
			p = p[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			var ok bool
			ok, p = matchClass(p[1:], s[0])
			if !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || p[0] != s[0] {
				return false
			}
			s = s[1:]
			p = p[1:]
		}
	}
	return len(s) == 0
}

// matchClass matches c against a [...] class whose body starts at p and
// returns the pattern after the closing ']' (or its end, as Redis does for an
// unterminated class).
func matchClass(p []byte, c byte) (bool, []byte) {
	not := false
	if len(p) > 0 && p[0] == '^' {
		not = true
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
			lo, hi := p[0], p[2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				match = true
			}
			p = p[3:]
		default:
			if p[0] == c {
				match = true
			}
			p = p[1:]
		}
	}
	if len(p) > 0 {
		p = p[1:] // skip ']'
	}
	return match != not, p
}
