package resp

import "strings"

// Movable keys: commands whose key positions depend on their arguments
// (a numkeys count, SORT's STORE option). COMMAND INFO lists them as
// "movablekeys" (cluster-aware clients then ask COMMAND GETKEYS), and
// GETKEYS finds their keys with the finders below. The table's
// FirstKey/LastKey/Step keep Redis's legacy triple for COMMAND INFO.

// keyFinder returns the positions of the keys in args (args[0] is the
// command name), in ascending order, or nil when the arguments name no
// valid key set.
type keyFinder func(args [][]byte) []int

// numKeysFinder finds keys counted by a numkeys argument at position at,
// listed right after it, preceded by a destination key at dest (0 = none).
// A count below 1, or above what follows, gives no keys — the command
// itself would reply with an error.
func numKeysFinder(dest, at int) keyFinder {
	return func(args [][]byte) []int {
		if at >= len(args) {
			return nil
		}
		n := leadingInt(args[at])
		if n < 1 || n > int64(len(args)-at-1) {
			return nil
		}
		var pos []int
		if dest > 0 {
			pos = append(pos, dest)
		}
		for i := 0; i < int(n); i++ {
			pos = append(pos, at+1+i)
		}
		return pos
	}
}

// sortKeys finds SORT's key and the target of its last STORE option;
// LIMIT's two arguments and BY's and GET's one are skipped, so a pattern
// spelled "store" is not taken for the option.
func sortKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	pos, store := []int{1}, 0
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				store = i + 1
				i++
			}
		}
	}
	if store > 0 {
		pos = append(pos, store)
	}
	return pos
}

// leadingInt reads an optional sign and the digits that start b, as C's
// atoi does (Redis parses numkeys this way when extracting keys): "2x"
// is 2, "x" is 0.
func leadingInt(b []byte) int64 {
	i, neg := 0, false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && n < 1<<40; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// movableKeys names the commands with movable keys and their finders;
// runsScript those that run a script or function, which may name no key
// at all (GETKEYS then replies with an empty array).
var (
	movableKeys = map[string]keyFinder{
		"sort": sortKeys, "sort_ro": sortKeys,
		"eval": numKeysFinder(0, 2), "evalsha": numKeysFinder(0, 2),
		"eval_ro": numKeysFinder(0, 2), "evalsha_ro": numKeysFinder(0, 2),
		"fcall": numKeysFinder(0, 2), "fcall_ro": numKeysFinder(0, 2),
		"zunion": numKeysFinder(0, 1), "zinter": numKeysFinder(0, 1), "zdiff": numKeysFinder(0, 1),
		"zunionstore": numKeysFinder(1, 2), "zinterstore": numKeysFinder(1, 2), "zdiffstore": numKeysFinder(1, 2),
		"sintercard": numKeysFinder(0, 1), "zintercard": numKeysFinder(0, 1),
		"lmpop": numKeysFinder(0, 1), "zmpop": numKeysFinder(0, 1),
		"blmpop": numKeysFinder(0, 2), "bzmpop": numKeysFinder(0, 2),
	}
	// (MONITOR also shows these before the commands they run.)
	runsScript = map[string]bool{
		"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
	}
)

// applyKeySpecs marks c with its key finder and the flags that follow.
func applyKeySpecs(c *Command) {
	if f, ok := movableKeys[c.Name]; ok {
		c.Keys = f
		c.Flags |= FlagMovableKeys
	}
	if runsScript[c.Name] {
		c.Flags |= FlagNoMandatoryKeys
	}
}
