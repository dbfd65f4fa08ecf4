// Package datatypes implements Redis's typed operations (strings, keys, and
// later lists, hashes, sets, sorted sets) on an open engine transaction. It
// knows nothing of the protocol: functions return values and the sentinel
// errors below, which the resp package turns into Redis's exact texts.
package datatypes

import "errors"

// Sentinel errors. engine.ErrWrongType is returned as is.
var (
	ErrNotInteger = errors.New("value is not an integer or out of range")
	ErrNotFloat   = errors.New("value is not a valid float")
	ErrOverflow   = errors.New("increment or decrement would overflow")
	ErrNaNInf     = errors.New("increment would produce NaN or Infinity")
	ErrTooLarge   = errors.New("string exceeds maximum allowed size")
	ErrNoSuchKey  = errors.New("no such key")
	ErrIndexRange = errors.New("index out of range")
)
