package resp

import (
	"crypto/subtle"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// connectionCommands is redis.io's "connection" group (CLIENT lives in
// cmd_client.go).
func connectionCommands() []*Command {
	const conn = "connection"
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast | FlagSubscribed, Group: conn, Summary: "Returns the server's liveliness response.", Run: cmdPing},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale, Group: conn, Summary: "Returns the given string.", Run: cmdEcho},
		{Name: "quit", Arity: -1, Flags: FlagFast | FlagNoAuth | FlagNoMulti | FlagNoScript | FlagSubscribed | FlagLoading | FlagStale | FlagAllowBusy, Group: conn, Summary: "Closes the connection.", Run: cmdQuit},
		{Name: "reset", Arity: 1, Flags: FlagFast | FlagNoAuth | FlagNoMulti | FlagSubscribed | FlagNoScript | FlagLoading | FlagStale | FlagAllowBusy, Group: conn, Summary: "Resets the connection.", Run: cmdReset},
		{Name: "hello", Arity: -1, Flags: FlagFast | FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | FlagSubscribed | FlagAllowBusy, Group: conn, Summary: "Handshakes with the Redis server.", Run: cmdHello},
		{Name: "auth", Arity: -2, Flags: FlagFast | FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | FlagAllowBusy, Group: conn, Summary: "Authenticates the connection.", Run: cmdAuth},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale, Group: conn, Summary: "Changes the selected database.", Run: cmdSelect},
	}
}

func cmdPing(c *Ctx, args [][]byte) error {
	if len(args) > 2 {
		return errArity("ping")
	}
	if c.C != nil && c.C.inSubscribedMode() {
		c.W.Array(2)
		c.W.BulkString("pong")
		if len(args) == 2 {
			c.W.Bulk(args[1])
		} else {
			c.W.BulkString("")
		}
		return nil
	}
	if len(args) == 2 {
		c.W.Bulk(args[1])
		return nil
	}
	c.W.Status("PONG")
	return nil
}

func cmdEcho(c *Ctx, args [][]byte) error {
	c.W.Bulk(args[1])
	return nil
}

// cmdQuit replies OK and closes the connection once the reply is out.
func cmdQuit(c *Ctx, args [][]byte) error {
	c.W.OK()
	if c.C != nil {
		c.C.wmu.Lock()
		c.C.nc.Write(c.W.Bytes())
		c.C.wmu.Unlock()
		c.W.Truncate(0)
		c.C.killed.Store(true)
	}
	return nil
}

// cmdReset returns the connection to its just-connected state.
func cmdReset(c *Ctx, args [][]byte) error {
	cl := c.C
	cl.releaseMulti()
	cl.releasePubSub()
	cl.selectDB(0)
	cl.W.proto = 2
	cl.names.Store(nil)
	cl.replyMode = replyOn
	cl.NoEvict, cl.NoTouch = false, false
	cl.authd = c.S.cfg.Get("requirepass") == ""
	c.W.Status("RESET")
	return nil
}

// checkPassword compares a password with requirepass in constant time.
func (s *Server) checkPassword(user, pass []byte) error {
	want := s.cfg.Get("requirepass")
	if user != nil && string(user) != "default" {
		return ErrWrongPass
	}
	if want == "" {
		return nil // the default user has no password: anything goes
	}
	if subtle.ConstantTimeCompare(pass, []byte(want)) != 1 {
		return ErrWrongPass
	}
	return nil
}

func cmdAuth(c *Ctx, args [][]byte) error {
	var user, pass []byte
	switch len(args) {
	case 2:
		pass = args[1]
		if c.S.cfg.Get("requirepass") == "" {
			return ErrAuthNoPass
		}
	case 3:
		user, pass = args[1], args[2]
	default:
		return ErrSyntax
	}
	if err := c.S.checkPassword(user, pass); err != nil {
		c.S.log.Warn().Str("addr", c.C.addr).Msg("failed AUTH")
		return err
	}
	c.C.authd = true
	c.W.OK()
	return nil
}

// cmdHello implements HELLO [protover [AUTH user pass] [SETNAME name]].
func cmdHello(c *Ctx, args [][]byte) error {
	cl := c.C
	proto := cl.W.Proto()
	if len(args) >= 2 {
		v, ok := datatypes.ParseInt(args[1])
		if !ok {
			return ReplyError("ERR Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return ErrNoProto
		}
		proto = int(v)
	}
	var user, pass, name []byte
	authGiven, nameGiven := false, false
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && i+2 < len(args):
			user, pass, authGiven = args[i+1], args[i+2], true
			i += 2
		case opt == "setname" && i+1 < len(args):
			name, nameGiven = args[i+1], true
			i++
		default:
			return ReplyError("ERR Syntax error in HELLO option '" + sanitizePreview(args[i], 128) + "'")
		}
	}
	if authGiven {
		if err := c.S.checkPassword(user, pass); err != nil {
			return err
		}
		cl.authd = true
	}
	if !cl.authd {
		return ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if nameGiven {
		if !validClientName(name) {
			return ErrClientName
		}
		cl.SetName(string(name))
	}
	cl.W.proto = proto
	w := c.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(redisCompatVersion)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(cl.ID)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
	return nil
}

// redisCompatVersion is the Redis version diskcached's behaviour matches;
// clients gate features on it.
const redisCompatVersion = "7.0.15"

// validClientName rejects names Redis rejects: spaces, newlines and other
// characters outside '!'..'~'.
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdSelect(c *Ctx, args [][]byte) error {
	n, ok := datatypes.ParseInt(args[1])
	if !ok {
		return ErrNotInteger
	}
	if n < 0 || n >= int64(c.S.db.Databases()) {
		return ErrDBIndex
	}
	c.C.selectDB(int(n))
	c.W.OK()
	return nil
}
