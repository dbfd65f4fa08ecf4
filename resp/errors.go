package resp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Every error text a client can receive lives in this file, spelled exactly
// as Redis 7.0 spells it: client libraries dispatch on these strings.

// ReplyError is an error whose text is sent to the client as is.
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// Fixed error replies.
const (
	ErrSyntax            ReplyError = "ERR syntax error"
	ErrNotInteger        ReplyError = "ERR value is not an integer or out of range"
	ErrNotFloat          ReplyError = "ERR value is not a valid float"
	ErrOverflow          ReplyError = "ERR increment or decrement would overflow"
	ErrDecrOverflow      ReplyError = "ERR decrement would overflow"
	ErrIncrNaNInf        ReplyError = "ERR increment would produce NaN or Infinity"
	ErrNoSuchKey         ReplyError = "ERR no such key"
	ErrIndexRange        ReplyError = "ERR index out of range"
	ErrWrongType         ReplyError = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrDBIndex           ReplyError = "ERR DB index is out of range"
	ErrInvalidDBIndex    ReplyError = "ERR invalid DB index"
	ErrSameObject        ReplyError = "ERR source and destination objects are the same"
	ErrNoAuth            ReplyError = "NOAUTH Authentication required."
	ErrWrongPass         ReplyError = "WRONGPASS invalid username-password pair or user is disabled."
	ErrAuthNoPass        ReplyError = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrNoProto           ReplyError = "NOPROTO unsupported protocol version"
	ErrOOM               ReplyError = "OOM command not allowed when used memory > 'maxmemory'."
	ErrCompactionRunning ReplyError = "ERR Background append only file rewriting already in progress"
	ErrMaxClients        ReplyError = "ERR max number of clients reached"
	ErrStringTooLong     ReplyError = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrOffsetRange       ReplyError = "ERR offset is out of range"
	ErrBitOffset         ReplyError = "ERR bit offset is not an integer or out of range"
	ErrBitValue          ReplyError = "ERR bit is not an integer or out of range"
	ErrBitOpNot          ReplyError = "ERR BITOP NOT must be called with a single source key."
	ErrTimeout           ReplyError = "ERR timeout is not a float or out of range"
	ErrTimeoutNegative   ReplyError = "ERR timeout is negative"
	ErrNoConfigFile      ReplyError = "ERR The server is running without a config file"
	ErrExpireOptions     ReplyError = "ERR NX and XX, GT or LT options at the same time are not compatible"
	ErrExpireGTLT        ReplyError = "ERR GT and LT options at the same time are not compatible"
	ErrCountNegative     ReplyError = "ERR COUNT must be > 0"
	ErrClientName        ReplyError = "ERR Client names cannot contain spaces, newlines or special characters."
	ErrNoSuchClient      ReplyError = "ERR No such client"
	ErrObjectIdleLFU     ReplyError = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ErrObjectFreqNoLFU   ReplyError = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ErrLoading           ReplyError = "LOADING Redis is loading the dataset in memory"
	ErrInternal          ReplyError = "ERR internal error"
	ErrShutdownRefused   ReplyError = "ERR Errors trying to SHUTDOWN. Check logs."
	ErrPubSubContext     ReplyError = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	ErrProtectedMode     ReplyError = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

	// sets and sorted sets (cmd_set.go, cmd_zset.go)
	ErrOutOfRangePositive ReplyError = "ERR value is out of range, must be positive"
	ErrOutOfRange         ReplyError = "ERR value is out of range"
	ErrRandCountRange     ReplyError = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	ErrNumkeysPositive    ReplyError = "ERR numkeys should be greater than 0"
	ErrNumkeysTooMany     ReplyError = "ERR Number of keys can't be greater than number of args"
	ErrLimitNegative      ReplyError = "ERR LIMIT can't be negative"
	ErrZAddXXNX           ReplyError = "ERR XX and NX options at the same time are not compatible"
	ErrZAddGTLTNX         ReplyError = "ERR GT, LT, and/or NX options at the same time are not compatible"
	ErrZAddIncrPair       ReplyError = "ERR INCR option supports a single increment-element pair"
	ErrScoreNaN           ReplyError = "ERR resulting score is not a number (NaN)"
	ErrMinMaxFloat        ReplyError = "ERR min or max is not a float"
	ErrMinMaxLex          ReplyError = "ERR min or max not valid string range item"
	ErrZRangeLimit        ReplyError = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ErrZRangeLexScores    ReplyError = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ErrWeightFloat        ReplyError = "ERR weight value is not a float"
	ErrCountPositive      ReplyError = "ERR count should be greater than 0"
	ErrSortNotFloat       ReplyError = "ERR One or more scores can't be converted into double"
)

// Introspection (CLIENT, COMMAND, SLOWLOG, LATENCY) errors.
const (
	ErrSlowlogCount        ReplyError = "ERR count should be greater than or equal to -1"
	ErrInvalidCommand      ReplyError = "ERR Invalid command specified"
	ErrNoKeyArgs           ReplyError = "ERR The command has no key arguments"
	ErrGetKeysArity        ReplyError = "ERR Invalid number of arguments specified for command"
	ErrGetKeysInvalid      ReplyError = "ERR Invalid arguments specified for command"
	ErrInvalidClientID     ReplyError = "ERR Invalid client ID"
	ErrClientIDPositive    ReplyError = "ERR client-id should be greater than 0"
	ErrPauseMode           ReplyError = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	ErrTimeoutNotInteger   ReplyError = "ERR timeout is not an integer or out of range"
	ErrUnblockReason       ReplyError = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	ErrTrackingUnsupported ReplyError = "ERR client-side caching (CLIENT TRACKING ON) is not supported by diskcached"
	ErrCachingNoTracking   ReplyError = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
)

// The CACHE.* family and redis-cell's CL.THROTTLE (cmd_cache*.go). The
// CL.THROTTLE texts are redis-cell's own, without an ERR code.
const (
	ErrCellUsage    ReplyError = "Cell error: Store error: Usage: cl.throttle <key> <max_burst> <count per period> <period> [<quantity>]"
	ErrCellZeroRate ReplyError = "Cell error: Store error: Zero rates are not supported"
	ErrLeaseToken   ReplyError = "ERR lease token does not match (the lease expired and passed on, or the key was filled)"
	ErrLeaseMs      ReplyError = "ERR lease-ms must be a positive integer"
	ErrBeta         ReplyError = "ERR BETA must be a non-negative float"
)

// errCellParse is redis-cell's refusal of a non-integer argument.
func errCellParse(arg []byte) ReplyError {
	return ReplyError("Cell error: Store error: Couldn't parse as integer: " + string(arg))
}

// errSubcommandSyntax is Redis's text for a known subcommand given the
// wrong number of arguments by its own parser.
func errSubcommandSyntax(sub []byte, container string) ReplyError {
	return ReplyError("ERR unknown subcommand or wrong number of arguments for '" + sanitizePreview(sub, 128) + "'. Try " + strings.ToUpper(container) + " HELP.")
}

// errClientAttr refuses a CLIENT SETINFO value (attribute as typed).
func errClientAttr(attr []byte) ReplyError {
	return ReplyError("ERR " + sanitizePreview(attr, 128) + " cannot contain spaces, newlines or special characters.")
}

// errQuoted builds "<prefix>'<arg>'<suffix>" texts (unknown client type,
// no such user, unrecognized option, no latency samples).
func errQuoted(prefix string, arg []byte, suffix string) ReplyError {
	return ReplyError(prefix + "'" + sanitizePreview(arg, 128) + "'" + suffix)
}

// errNotInTransaction refuses NO_MULTI commands (SAVE, SHUTDOWN) in MULTI.
const errNotInTransaction ReplyError = "ERR Command not allowed inside a transaction"

// errExecAbortBecause is EXEC's reply when EXEC itself is rejected by a
// gate (BUSY, …): the transaction is discarded and the gate's error quoted.
func errExecAbortBecause(err ReplyError) ReplyError {
	return "EXECABORT Transaction discarded because of: " + err
}

// Transactions, scripting and pub/sub (cmd_txn.go, cmd_script.go, lua_*.go).
const (
	ErrMultiNested     ReplyError = "ERR MULTI calls can not be nested"
	ErrExecNoMulti     ReplyError = "ERR EXEC without MULTI"
	ErrDiscardNoMulti  ReplyError = "ERR DISCARD without MULTI"
	ErrWatchInMulti    ReplyError = "ERR WATCH inside MULTI is not allowed"
	ErrExecAbort       ReplyError = "EXECABORT Transaction discarded because of previous errors."
	ErrNoScript        ReplyError = "NOSCRIPT No matching script. Please use EVAL."
	ErrBusyScript      ReplyError = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	ErrBusyFunction    ReplyError = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errROWithWriteFlag ReplyError = "ERR Can not execute a script with write flag using *_ro command."
	ErrNotBusy         ReplyError = "NOTBUSY No scripts in execution right now."
	ErrUnkillable      ReplyError = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	ErrNumKeysNegative ReplyError = "ERR Number of keys can't be negative"
	ErrNumKeysTooMany  ReplyError = "ERR Number of keys can't be greater than number of args"
	ErrScriptFlushOpt  ReplyError = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	// Raised inside Lua (redis.call and friends); the script error adds
	// " script: <sha>, on @user_script:<line>." when it reaches the client.
	ErrLuaNoArgs      ReplyError = "ERR Please specify at least one argument for this redis lib call"
	ErrLuaArgType     ReplyError = "ERR Lua redis lib command arguments must be strings or integers"
	ErrLuaUnknownCmd  ReplyError = "ERR Unknown Redis command called from script"
	ErrLuaArity       ReplyError = "ERR Wrong number of args calling Redis command from script"
	ErrLuaNotAllowed  ReplyError = "ERR This Redis command is not allowed from script"
	ErrLuaWriteInRO   ReplyError = "ERR Write commands are not allowed from read-only scripts."
	ErrLuaRespVersion ReplyError = "ERR RESP version must be 2 or 3."
	ErrLuaKilled      ReplyError = "ERR Script killed by user with SCRIPT KILL..."
	ErrLuaReadonlyG   ReplyError = "Attempt to modify a readonly table"
	ErrLuaOOM         ReplyError = "OOM command not allowed when used memory > 'maxmemory'."
)

// Protocol errors (the connection is closed after them).
const (
	ErrProtoBulkLen      = "ERR Protocol error: invalid bulk length"
	ErrProtoMultibulkLen = "ERR Protocol error: invalid multibulk length"
	ErrProtoInlineTooBig = "ERR Protocol error: too big inline request"
	ErrProtoMultibulkBig = "ERR Protocol error: too big mbulk count string"
	ErrProtoBulkBig      = "ERR Protocol error: too big bulk count string"
)

// errUnknownCommand is Redis's text: the name (128 bytes at most) and a
// preview of the arguments, each quoted and followed by a space, added while
// the preview is under 128 bytes, each cut to what is left of those 128.
// Like Redis's C strings, a name or argument stops at its first NUL byte.
func errUnknownCommand(name []byte, args [][]byte) ReplyError {
	var preview []byte
	for _, a := range args {
		if len(preview) >= 128 {
			break
		}
		preview = append(preview, '\'')
		preview = append(preview, cString(a, 128-len(preview)+1)...)
		preview = append(preview, '\'', ' ')
	}
	return ReplyError("ERR unknown command '" + sanitizePreview(cString(name, 128), 128) +
		"', with args beginning with: " + sanitizePreview(preview, len(preview)))
}

// cString cuts b at its first NUL and at max bytes, as printf's %.*s does.
func cString(b []byte, max int) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if max < 0 {
		max = 0
	}
	if len(b) > max {
		b = b[:max]
	}
	return b
}

// sanitizePreview cuts s to max bytes and replaces bytes that would break a
// one-line error reply.
func sanitizePreview(s []byte, max int) string {
	if max < 0 {
		max = 0
	}
	if len(s) > max {
		s = s[:max]
	}
	b := []byte(string(s))
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// errArity is the wrong-number-of-arguments text; name is lower-case and
// uses "container|sub" for subcommands.
func errArity(name string) ReplyError {
	return ReplyError("ERR wrong number of arguments for '" + name + "' command")
}

// errAtLeastOneKey is ZUNION/ZINTER/ZDIFF's text for numkeys < 1.
func errAtLeastOneKey(name string) ReplyError {
	return ReplyError("ERR at least 1 input key is needed for '" + name + "' command")
}

// errUnknownSubcommand is Redis's text for an unknown subcommand of a
// container command such as CONFIG or CLIENT.
func errUnknownSubcommand(sub []byte, container string) ReplyError {
	return ReplyError(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", sanitizePreview(sub, 128), strings.ToUpper(container)))
}

// errInvalidExpire is SET's and friends' text for a bad expire time.
func errInvalidExpire(cmd string) ReplyError {
	return ReplyError("ERR invalid expire time in '" + cmd + "' command")
}

// errConfigSetUnknown is CONFIG SET's text for an unknown directive.
func errConfigSetUnknown(name string) ReplyError {
	return ReplyError("ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'")
}

// errConfigSetFailed is CONFIG SET's text for a rejected value.
func errConfigSetFailed(name, why string) ReplyError {
	return ReplyError("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why)
}

// errPubSubContext is the RESP2 subscribed-mode refusal.
func errPubSubContext(name string) ReplyError {
	return ReplyError(fmt.Sprintf(string(ErrPubSubContext), name))
}

// replyText maps an error returned by a handler (or a lower layer) to the
// text sent to the client. Unknown errors become "ERR <text>".
func replyText(err error) string {
	var re ReplyError
	if errors.As(err, &re) {
		return string(re)
	}
	switch {
	case errors.Is(err, engine.ErrWrongType):
		return string(ErrWrongType)
	case errors.Is(err, datatypes.ErrNotInteger):
		return string(ErrNotInteger)
	case errors.Is(err, datatypes.ErrNotFloat):
		return string(ErrNotFloat)
	case errors.Is(err, datatypes.ErrOverflow):
		return string(ErrOverflow)
	case errors.Is(err, datatypes.ErrNaNInf):
		return string(ErrIncrNaNInf)
	case errors.Is(err, datatypes.ErrTooLarge):
		return string(ErrStringTooLong)
	case errors.Is(err, datatypes.ErrNoSuchKey):
		return string(ErrNoSuchKey)
	case errors.Is(err, datatypes.ErrIndexRange):
		return string(ErrIndexRange)
	}
	var pe *engine.PanicError
	if errors.As(err, &pe) {
		return string(ErrInternal)
	}
	return "ERR " + err.Error()
}
