package resp

import (
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/diskcached/diskcached/datatypes"
)

// CLIENT: the connection's own settings (ID, SETNAME/GETNAME, SETINFO,
// REPLY, NO-EVICT, NO-TOUCH) and the server's view of every connection
// (INFO, LIST, KILL). Tracking (client-side caching) is not supported:
// TRACKING ON is refused, TRACKING OFF accepted. PAUSE is accepted and has
// no effect.

func clientCommand() *Command {
	const g = "connection"
	f := FlagNoScript | FlagLoading | FlagStale
	adm := f | FlagAdmin
	sub := func(arity int, flags Flag, summary string, run Handler) *Command {
		return &Command{Arity: arity, Flags: flags, Group: g, Summary: summary, Run: run}
	}
	return &Command{Name: "client", Arity: -2, Group: g, Summary: "A container for client connection commands.", Subs: map[string]*Command{
		"id":           sub(2, f, "Returns the unique client ID of the connection.", cmdClientID),
		"setname":      sub(3, f, "Sets the connection name.", cmdClientSetName),
		"getname":      sub(2, f, "Returns the name of the connection.", cmdClientGetName),
		"setinfo":      sub(4, f, "Sets information specific to the client or connection.", cmdClientSetInfo),
		"info":         sub(2, f, "Returns information about the connection.", cmdClientInfo),
		"list":         sub(-2, adm, "Lists open connections.", cmdClientList),
		"kill":         sub(-3, adm, "Terminates open connections.", cmdClientKill),
		"reply":        sub(3, f, "Instructs the server whether to reply to commands.", cmdClientReply),
		"no-evict":     sub(3, adm, "Sets the client eviction mode of the connection.", cmdClientNoEvict),
		"no-touch":     sub(3, f, "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", cmdClientNoTouch),
		"pause":        sub(-3, adm, "Suspends commands processing.", cmdClientPause),
		"unpause":      sub(2, adm, "Resumes processing commands from paused clients.", cmdOK),
		"unblock":      sub(-3, adm, "Unblocks a client blocked by a blocking command from a different connection.", cmdClientUnblock),
		"tracking":     sub(-3, f, "Controls server-assisted client-side caching for the connection.", cmdClientTracking),
		"trackinginfo": sub(2, f, "Returns information about server-assisted client-side caching for the connection.", cmdClientTrackingInfo),
		"getredir":     sub(2, f, "Returns the client ID to which the connection's tracking notifications are redirected.", cmdClientGetRedir),
		"caching":      sub(3, f, "Instructs the server whether to track the keys in the next request.", cmdClientCaching),
		"help":         sub(2, FlagLoading|FlagStale, "Returns helpful text about the different subcommands.", cmdClientHelp),
	}}
}

func cmdClientID(c *Ctx, args [][]byte) error {
	c.W.Int(c.C.ID)
	return nil
}

// cmdClientSetName sets the name; "" removes it. Names with spaces or
// characters outside '!'..'~' are refused.
func cmdClientSetName(c *Ctx, args [][]byte) error {
	if !validClientName(args[2]) {
		return ErrClientName
	}
	c.C.SetName(string(args[2]))
	c.W.OK()
	return nil
}

// cmdClientGetName replies the name, or null when none is set.
func cmdClientGetName(c *Ctx, args [][]byte) error {
	if c.C.Name() == "" {
		c.W.Null()
		return nil
	}
	c.W.BulkString(c.C.Name())
	return nil
}

// cmdClientSetInfo records LIB-NAME or LIB-VER ("" clears it).
func cmdClientSetInfo(c *Ctx, args [][]byte) error {
	attr := strings.ToLower(string(args[2]))
	if attr != "lib-name" && attr != "lib-ver" {
		return errQuoted("ERR Unrecognized option ", args[2], "")
	}
	if !validClientName(args[3]) {
		return errClientAttr(args[2])
	}
	n := *c.C.loadNames()
	if attr == "lib-name" {
		n.libName = string(args[3])
	} else {
		n.libVer = string(args[3])
	}
	c.C.names.Store(&n)
	c.W.OK()
	return nil
}

// cmdClientInfo describes this connection in CLIENT LIST's format.
func cmdClientInfo(c *Ctx, args [][]byte) error {
	st := c.S.intro()
	line := appendClientInfo(nil, c.C, st, time.Now(), "client|info", respLen(args))
	line = append(line, '\n')
	c.W.Verbatim("txt", string(line))
	return nil
}

// cmdClientList describes every connection, or those of one TYPE, or those
// with the given IDs (unknown IDs are skipped).
func cmdClientList(c *Ctx, args [][]byte) error {
	clients := c.S.Clients()
	sort.Slice(clients, func(i, j int) bool { return clients[i].ID < clients[j].ID })
	st := c.S.intro()
	switch {
	case len(args) == 2:
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ, ok := parseClientType(args[3])
		if !ok {
			return errUnknownClientType(args[3])
		}
		kept := clients[:0]
		for _, cl := range clients {
			if st.clientType(cl) == typ {
				kept = append(kept, cl)
			}
		}
		clients = kept
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		byID := make(map[int64]*Client, len(clients))
		for _, cl := range clients {
			byID[cl.ID] = cl
		}
		clients = clients[:0]
		for _, a := range args[3:] {
			id, ok := datatypes.ParseInt(a)
			if !ok {
				return ErrInvalidClientID
			}
			if cl := byID[id]; cl != nil {
				clients = append(clients, cl)
			}
		}
	default:
		return ErrSyntax
	}
	now := time.Now()
	var out []byte
	for _, cl := range clients {
		cmd, qbuf := "", 0
		if cl == c.C {
			cmd, qbuf = "client|list", respLen(args)
		}
		out = appendClientInfo(out, cl, st, now, cmd, qbuf)
		out = append(out, '\n')
	}
	c.W.Verbatim("txt", string(out))
	return nil
}

// Client types for LIST TYPE and KILL TYPE.
const (
	clientNormal = iota
	clientReplica
	clientPubSub
	clientMaster
)

func parseClientType(b []byte) (int, bool) {
	switch strings.ToLower(string(b)) {
	case "normal":
		return clientNormal, true
	case "slave", "replica":
		return clientReplica, true
	case "pubsub":
		return clientPubSub, true
	case "master":
		return clientMaster, true
	}
	return 0, false
}

func errUnknownClientType(b []byte) ReplyError {
	return errQuoted("ERR Unknown client type ", b, "")
}

// clientType classifies cl as Redis does: a MONITOR is a replica, a
// subscriber is pubsub, the rest are normal.
func (st *introState) clientType(cl *Client) int {
	if st.isMonitor(cl) {
		return clientReplica
	}
	if cl.sub.channels+cl.sub.patterns+cl.sub.shards > 0 {
		return clientPubSub
	}
	return clientNormal
}

func (st *introState) isMonitor(cl *Client) bool {
	if monitorsTotal.Load() == 0 {
		return false
	}
	st.monMu.Lock()
	_, ok := st.mons[cl]
	st.monMu.Unlock()
	return ok
}

// appendClientInfo writes one CLIENT LIST line (without the newline) in
// Redis 7.0's field order, with 7.2's lib-name and lib-ver at the end.
// Buffer sizes diskcached does not track are reported as 0. curCmd, when
// set, is the command cl is running now (Redis reports it as cmd=), and
// qbuf its size (Redis's query buffer still holds it: qbuf=26 for a
// CLIENT LIST sent as RESP).
func appendClientInfo(b []byte, cl *Client, st *introState, now time.Time, curCmd string, qbuf int) []byte {
	flags := ""
	if st.isMonitor(cl) {
		flags += "O"
	}
	if cl.sub.channels+cl.sub.patterns+cl.sub.shards > 0 {
		flags += "P"
	}
	if cl.multi.active {
		flags += "x"
	}
	if cl.multi.dirty {
		flags += "d"
	}
	if cl.killed.Load() {
		flags += "c"
	}
	if cl.NoEvict {
		flags += "e"
	}
	if cl.NoTouch {
		flags += "T"
	}
	if flags == "" {
		flags = "N"
	}
	multi := -1
	if cl.multi.active {
		multi = len(cl.multi.queue)
	}
	field := func(name string) { b = append(b, ' '); b = append(b, name...); b = append(b, '=') }
	num := func(name string, n int64) { field(name); b = strconv.AppendInt(b, n, 10) }
	str := func(name, v string) { field(name); b = append(b, v...) }
	b = append(b, "id="...)
	b = strconv.AppendInt(b, cl.ID, 10)
	str("addr", cl.addr)
	str("laddr", cl.LocalAddr())
	num("fd", int64(clientFD(cl)))
	str("name", cl.Name())
	num("age", int64(now.Sub(cl.Created())/time.Second))
	num("idle", int64(now.Sub(cl.LastActive())/time.Second))
	str("flags", flags)
	num("db", int64(cl.PublishedDB()))
	num("sub", int64(cl.sub.channels))
	num("psub", int64(cl.sub.patterns))
	num("ssub", int64(cl.sub.shards))
	num("multi", int64(multi))
	num("qbuf", int64(qbuf))
	for _, z := range []string{"qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"} {
		num(z, 0)
	}
	str("events", "r")
	if curCmd == "" {
		curCmd = cl.LastCommand()
	}
	str("cmd", curCmd)
	str("user", "default")
	num("redir", -1)
	num("resp", int64(cl.Proto()))
	str("lib-name", cl.LibName())
	str("lib-ver", cl.LibVer())
	return b
}

// respLen is the size of args sent as a RESP multibulk.
func respLen(args [][]byte) int {
	n := 3 + len(strconv.Itoa(len(args)))
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

// clientFD returns the socket's file descriptor, or -1 if unknown.
func clientFD(cl *Client) int {
	nc := cl.nc
	if g, ok := nc.(*guardConn); ok {
		nc = g.Conn
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// cmdClientKill closes connections. Old form: CLIENT KILL addr → OK or
// "No such client" (may kill the caller itself). New form: filters ID,
// TYPE, ADDR, LADDR, USER, SKIPME (default yes) → the number killed. The
// caller, when killed, gets its reply first.
func cmdClientKill(c *Ctx, args [][]byte) error {
	var (
		addr, laddr []byte
		id          int64
		typ         = -1
		skipMe      = true
	)
	oldForm := len(args) == 3
	if oldForm {
		addr, skipMe = args[2], false
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				return ErrSyntax
			}
			val := args[i+1]
			switch strings.ToLower(string(args[i])) {
			case "id":
				n, ok := datatypes.ParseInt(val)
				if !ok || n < 1 {
					return ErrClientIDPositive
				}
				id = n
			case "type":
				t, ok := parseClientType(val)
				if !ok {
					return errUnknownClientType(val)
				}
				typ = t
			case "addr":
				addr = val
			case "laddr":
				laddr = val
			case "user":
				if string(val) != "default" {
					return errQuoted("ERR No such user ", val, "")
				}
			case "skipme":
				switch strings.ToLower(string(val)) {
				case "yes":
					skipMe = true
				case "no":
					skipMe = false
				default:
					return ErrSyntax
				}
			default:
				return ErrSyntax
			}
		}
	}
	st := c.S.intro()
	killed := 0
	for _, cl := range c.S.Clients() {
		switch {
		case addr != nil && cl.addr != string(addr),
			laddr != nil && cl.LocalAddr() != string(laddr),
			typ >= 0 && st.clientType(cl) != typ,
			id != 0 && cl.ID != id,
			cl == c.C && skipMe:
			continue
		}
		if cl == c.C {
			cl.killed.Store(true) // closed once this reply is out
		} else {
			cl.Kill()
		}
		killed++
	}
	if oldForm {
		if killed == 0 {
			return ErrNoSuchClient
		}
		c.W.OK()
		return nil
	}
	c.W.Int(int64(killed))
	return nil
}

// cmdClientReply: ON replies OK; OFF and SKIP reply nothing (dispatch
// drops the reply of the command that set them, and of the commands after).
func cmdClientReply(c *Ctx, args [][]byte) error {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.C.replyMode = replyOn
		c.W.OK()
	case "off":
		c.C.replyMode = replyOff
	case "skip":
		if c.C.replyMode != replyOff {
			c.C.replyMode = replySkip
		}
	default:
		return ErrSyntax
	}
	return nil
}

// onOff parses ON/OFF for NO-EVICT and NO-TOUCH.
func onOff(b []byte) (bool, error) {
	switch strings.ToLower(string(b)) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, ErrSyntax
}

func cmdClientNoEvict(c *Ctx, args [][]byte) error {
	v, err := onOff(args[2])
	if err != nil {
		return err
	}
	c.C.NoEvict = v
	c.W.OK()
	return nil
}

func cmdClientNoTouch(c *Ctx, args [][]byte) error {
	v, err := onOff(args[2])
	if err != nil {
		return err
	}
	c.C.NoTouch = v
	c.W.OK()
	return nil
}

// cmdClientPause validates its arguments and replies OK; diskcached does
// not pause clients.
func cmdClientPause(c *Ctx, args [][]byte) error {
	if len(args) > 4 {
		return errSubcommandSyntax(args[1], "client")
	}
	if len(args) == 4 {
		if m := strings.ToLower(string(args[3])); m != "write" && m != "all" {
			return ErrPauseMode
		}
	}
	n, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrTimeoutNotInteger
	}
	if n < 0 {
		return ErrTimeoutNegative
	}
	c.W.OK()
	return nil
}

// cmdClientUnblock ends another client's blocking command (as a timeout,
// or with the UNBLOCKED error) and replies 1, or 0 if it was not blocked.
func cmdClientUnblock(c *Ctx, args [][]byte) error {
	if len(args) > 4 {
		return errSubcommandSyntax(args[1], "client")
	}
	withError := false
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout":
		case "error":
			withError = true
		default:
			return ErrUnblockReason
		}
	}
	id, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	done := false
	if u, ok := any(c.S).(interface {
		UnblockClient(id int64, withError bool) bool
	}); ok {
		done = u.UnblockClient(id, withError)
	}
	if done {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
	return nil
}

// cmdClientTracking: client-side caching is not implemented.
func cmdClientTracking(c *Ctx, args [][]byte) error {
	switch strings.ToLower(string(args[2])) {
	case "off":
		c.W.OK()
		return nil
	case "on":
		return ErrTrackingUnsupported
	}
	return ErrSyntax
}

func cmdClientTrackingInfo(c *Ctx, args [][]byte) error {
	c.W.Map(3)
	c.W.BulkString("flags")
	c.W.Set(1)
	c.W.BulkString("off")
	c.W.BulkString("redirect")
	c.W.Int(-1)
	c.W.BulkString("prefixes")
	c.W.Array(0)
	return nil
}

func cmdClientGetRedir(c *Ctx, args [][]byte) error {
	c.W.Int(-1)
	return nil
}

func cmdClientCaching(c *Ctx, args [][]byte) error {
	return ErrCachingNoTracking
}

// cmdClientHelp prints Redis 7.0's help (SETINFO and NO-TOUCH, accepted
// for newer clients, are not listed there).
func cmdClientHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "CLIENT", []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	})
	return nil
}
