package resp

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskcached/diskcached/datatypes"
)

// Pub/sub. Subscriptions live in the server's registry; a message is
// encoded once per protocol and appended to each receiver's bounded queue
// from the publisher's goroutine, and the receiver's writer goroutine sends
// it with WriteAsync: a slow subscriber never blocks a publisher. When a
// queue exceeds client-output-buffer-limit pubsub (hard limit at once, soft
// limit for longer than its seconds) the subscriber is disconnected.
//
// Subscribe confirmations are replies written on the client's goroutine;
// they are flushed to the socket (under the client's write lock) before the
// subscription can receive anything, so a message never overtakes them.

func pubsubCommands() []*Command {
	const g = "pubsub"
	sub := FlagPubSub | FlagNoScript | FlagLoading | FlagStale | FlagSubscribed
	pub := FlagPubSub | FlagLoading | FlagStale | FlagFast | FlagMayReplicate
	info := FlagPubSub | FlagLoading | FlagStale
	return []*Command{
		{Name: "subscribe", Arity: -2, Flags: sub, Group: g, Summary: "Listens for messages published to channels.", Run: cmdSubscribe},
		{Name: "unsubscribe", Arity: -1, Flags: sub, Group: g, Summary: "Stops listening to messages posted to channels.", Run: cmdSubscribe},
		{Name: "psubscribe", Arity: -2, Flags: sub, Group: g, Summary: "Listens for messages published to channels that match one or more patterns.", Run: cmdSubscribe},
		{Name: "punsubscribe", Arity: -1, Flags: sub, Group: g, Summary: "Stops listening to messages published to channels that match one or more patterns.", Run: cmdSubscribe},
		{Name: "ssubscribe", Arity: -2, Flags: sub, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Summary: "Listens for messages published to shard channels.", Run: cmdSubscribe},
		{Name: "sunsubscribe", Arity: -1, Flags: sub, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Summary: "Stops listening to messages posted to shard channels.", Run: cmdSubscribe},
		{Name: "publish", Arity: 3, Flags: pub, Group: g, Summary: "Posts a message to a channel.", Run: cmdPublish},
		{Name: "spublish", Arity: 3, Flags: pub, FirstKey: 1, LastKey: 1, Group: g, Summary: "Post a message to a shard channel", Run: cmdPublish},
		{Name: "pubsub", Arity: -2, Flags: 0, Group: g, Summary: "A container for Pub/Sub commands.", Run: cmdPubsubHelp, Subs: map[string]*Command{
			"channels":      {Arity: -2, Flags: info, Group: g, Summary: "Returns the active channels.", Run: cmdPubsubChannels},
			"shardchannels": {Arity: -2, Flags: info, Group: g, Summary: "Returns the active shard channels.", Run: cmdPubsubChannels},
			"numsub":        {Arity: -2, Flags: info, Group: g, Summary: "Returns a count of subscribers to channels.", Run: cmdPubsubNumsub},
			"shardnumsub":   {Arity: -2, Flags: info, Group: g, Summary: "Returns the count of subscribers of shard channels.", Run: cmdPubsubNumsub},
			"numpat":        {Arity: 2, Flags: info, Group: g, Summary: "Returns a count of unique pattern subscriptions.", Run: cmdPubsubNumpat},
			"help":          {Arity: 2, Flags: FlagLoading | FlagStale, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdPubsubHelp},
		}},
	}
}

// subKind tells the three subscription namespaces apart.
type subKind uint8

const (
	kindChannel subKind = iota
	kindPattern
	kindShard
)

// subState is a client's subscriptions. The sets are owned by the client's
// goroutine; the registry holds its own index under its lock.
type subState struct {
	channels, patterns, shards int
	sets                       [3]map[string]struct{}
	q                          *outQueue
}

// inSubscribedMode reports whether a RESP2 client is limited to the
// subscribe family of commands.
func (c *Client) inSubscribedMode() bool {
	return c.W.Proto() == 2 && c.sub.channels+c.sub.patterns+c.sub.shards > 0
}

// releasePubSub drops every subscription (RESET, disconnect). On disconnect
// the client's writer goroutine stops too.
func (c *Client) releasePubSub() {
	reg := c.srv.ext().ps
	for k := range c.sub.sets {
		for name := range c.sub.sets[k] {
			reg.remove(subKind(k), name, c)
		}
		c.sub.sets[k] = nil
	}
	c.sub.channels, c.sub.patterns, c.sub.shards = 0, 0, 0
	if c.closed.Load() && c.sub.q != nil {
		c.sub.q.close()
	}
}

// cmdSubscribe serves the six (un)subscribe commands.
func cmdSubscribe(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	cl := c.C
	kind := kindChannel
	switch {
	case strings.HasPrefix(name, "p"):
		kind = kindPattern
	case strings.HasPrefix(name, "ss"), strings.HasPrefix(name, "sun"):
		kind = kindShard
	}
	if strings.HasPrefix(name, "un") || strings.HasPrefix(name[1:], "un") {
		start := c.W.Len()
		if err := cl.unsubscribe(c.W, kind, name, args[1:]); err != nil {
			return err
		}
		if c.W.Proto() == 3 && cl.replyMode != replyOn && c.W == &cl.W && c.Tx == nil {
			// Push frames bypass CLIENT REPLY OFF|SKIP (Redis's
			// CLIENT_PUSHING): send them now; the buffered copy is
			// dropped with the rest of this command's reply.
			cl.wmu.Lock()
			cl.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			n, _ := cl.nc.Write(c.W.Bytes()[start:])
			cl.nc.SetWriteDeadline(time.Time{})
			cl.wmu.Unlock()
			c.S.stats.NetOutput.Add(int64(n))
		}
		return nil
	}
	if c.Tx == nil {
		c.S.installHooks() // expired events come from the engine's hook
	}
	reg := c.S.ext().ps
	if cl.sub.q == nil {
		cl.sub.q = newOutQueue(cl)
	}
	cl.sub.q.proto.Store(int32(c.W.Proto()))
	if cl.sub.sets[kind] == nil {
		cl.sub.sets[kind] = make(map[string]struct{})
	}
	// Confirmations leave before the subscriptions can receive anything.
	cl.wmu.Lock()
	defer cl.wmu.Unlock()
	for _, ch := range args[1:] {
		key := string(ch)
		if _, dup := cl.sub.sets[kind][key]; !dup {
			cl.sub.sets[kind][key] = struct{}{}
			cl.addCount(kind, 1)
			reg.add(kind, key, cl)
		}
		c.W.Push(3)
		c.W.BulkString(name)
		c.W.Bulk(ch)
		c.W.Int(cl.subCount(kind))
	}
	if c.W == &cl.W && c.Tx == nil { // not inside EXEC's array
		cl.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		cl.nc.Write(c.W.Bytes())
		cl.nc.SetWriteDeadline(time.Time{})
		c.S.stats.NetOutput.Add(int64(c.W.Len()))
		c.W.Truncate(0)
	}
	return nil
}

// unsubscribe removes the named subscriptions, or all of kind when names is
// empty; with nothing to remove it still confirms once with a null name.
func (cl *Client) unsubscribe(w *Writer, kind subKind, name string, names [][]byte) error {
	reg := cl.srv.ext().ps
	if len(names) == 0 {
		for k := range cl.sub.sets[kind] {
			names = append(names, []byte(k))
		}
		sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
		if len(names) == 0 {
			w.Push(3)
			w.BulkString(name)
			w.Null()
			w.Int(cl.subCount(kind))
			return nil
		}
	}
	for _, ch := range names {
		key := string(ch)
		if _, ok := cl.sub.sets[kind][key]; ok {
			delete(cl.sub.sets[kind], key)
			cl.addCount(kind, -1)
			reg.remove(kind, key, cl)
		}
		w.Push(3)
		w.BulkString(name)
		w.Bulk(ch)
		w.Int(cl.subCount(kind))
	}
	return nil
}

func (cl *Client) addCount(kind subKind, d int) {
	switch kind {
	case kindChannel:
		cl.sub.channels += d
	case kindPattern:
		cl.sub.patterns += d
	default:
		cl.sub.shards += d
	}
}

// subCount is what a confirmation reports: channels+patterns, or the shard
// channel count for the shard commands.
func (cl *Client) subCount(kind subKind) int64 {
	if kind == kindShard {
		return int64(cl.sub.shards)
	}
	return int64(cl.sub.channels + cl.sub.patterns)
}

// cmdPublish posts a message and replies with the number of receivers.
func cmdPublish(c *Ctx, args [][]byte) error {
	n := c.S.ext().ps.publish(args[1], args[2], lowerName(args[0]) == "spublish")
	c.W.Int(int64(n))
	return nil
}

func cmdPubsubChannels(c *Ctx, args [][]byte) error {
	kind := kindChannel
	if strings.HasPrefix(lowerName(args[1]), "shard") {
		kind = kindShard
	}
	if len(args) > 3 {
		return errArity(c.S.table.Lookup(args[0]).Name + "|" + lowerName(args[1]))
	}
	var pat []byte
	if len(args) == 3 {
		pat = args[2]
	}
	names := c.S.ext().ps.names(kind, pat)
	c.W.BulkStrings(names)
	return nil
}

func cmdPubsubNumsub(c *Ctx, args [][]byte) error {
	kind := kindChannel
	if strings.HasPrefix(lowerName(args[1]), "shard") {
		kind = kindShard
	}
	reg := c.S.ext().ps
	c.W.Array(2 * (len(args) - 2)) // an array in both protocols, as Redis 7.0
	for _, ch := range args[2:] {
		c.W.Bulk(ch)
		c.W.Int(int64(reg.count(kind, string(ch))))
	}
	return nil
}

func cmdPubsubNumpat(c *Ctx, args [][]byte) error {
	c.W.Int(int64(c.S.ext().ps.numPatterns()))
	return nil
}

func cmdPubsubHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
	return nil
}

// pubsubRegistry indexes subscriptions: name → subscribers, per kind.
type pubsubRegistry struct {
	s    *Server
	mu   sync.RWMutex
	subs [3]map[string]map[*Client]struct{}
	n    atomic.Int64 // total subscriptions, for the notify fast path
}

func newPubsubRegistry(s *Server) *pubsubRegistry {
	r := &pubsubRegistry{s: s}
	for i := range r.subs {
		r.subs[i] = make(map[string]map[*Client]struct{})
	}
	return r
}

func (r *pubsubRegistry) empty() bool { return r.n.Load() == 0 }

func (r *pubsubRegistry) add(kind subKind, name string, c *Client) {
	r.mu.Lock()
	m := r.subs[kind][name]
	if m == nil {
		m = make(map[*Client]struct{})
		r.subs[kind][name] = m
	}
	m[c] = struct{}{}
	r.n.Add(1)
	r.mu.Unlock()
}

func (r *pubsubRegistry) remove(kind subKind, name string, c *Client) {
	r.mu.Lock()
	if m := r.subs[kind][name]; m != nil {
		if _, ok := m[c]; ok {
			delete(m, c)
			r.n.Add(-1)
		}
		if len(m) == 0 {
			delete(r.subs[kind], name)
		}
	}
	r.mu.Unlock()
}

func (r *pubsubRegistry) count(kind subKind, name string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.subs[kind][name])
}

func (r *pubsubRegistry) numPatterns() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.subs[kindPattern])
}

// names lists active channels of kind matching pat (nil = all).
func (r *pubsubRegistry) names(kind subKind, pat []byte) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.subs[kind]))
	for name := range r.subs[kind] {
		if pat == nil || datatypes.Match(pat, []byte(name)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// publish delivers msg to channel's subscribers (shard: shard subscribers
// only; otherwise channel subscribers, then pattern subscribers with a
// pmessage per matching pattern) and returns the number of deliveries.
func (r *pubsubRegistry) publish(channel, msg []byte, shard bool) int {
	if r.empty() {
		return 0
	}
	var frames [2][]byte // by protocol: 0 → RESP2, 1 → RESP3
	frame := func(c *Client, build func(w *Writer)) []byte {
		p := c.sub.q.proto.Load()
		i := 0
		if p == 3 {
			i = 1
		}
		if frames[i] == nil {
			w := Writer{proto: int(p)}
			build(&w)
			frames[i] = w.b
		}
		return frames[i]
	}
	lim := r.s.pubsubLimits()
	n := 0
	r.mu.RLock()
	defer r.mu.RUnlock()
	kind, word := kindChannel, "message"
	if shard {
		kind, word = kindShard, "smessage"
	}
	for c := range r.subs[kind][string(channel)] {
		c.sub.q.push(lim, frame(c, func(w *Writer) {
			w.Push(3)
			w.BulkString(word)
			w.Bulk(channel)
			w.Bulk(msg)
		}))
		n++
	}
	if shard {
		return n
	}
	for pat, subs := range r.subs[kindPattern] {
		if !datatypes.Match([]byte(pat), channel) {
			continue
		}
		frames = [2][]byte{}
		for c := range subs {
			c.sub.q.push(lim, frame(c, func(w *Writer) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(pat)
				w.Bulk(channel)
				w.Bulk(msg)
			}))
			n++
		}
	}
	return n
}

// outQueue is a subscriber's bounded backlog of encoded messages.
type outQueue struct {
	c     *Client
	proto atomic.Int32

	mu        sync.Mutex
	items     [][]byte
	size      int64
	softSince time.Time
	closed    bool
	wake      chan struct{}
}

func newOutQueue(c *Client) *outQueue {
	q := &outQueue{c: c, wake: make(chan struct{}, 1)}
	q.proto.Store(2)
	go q.run()
	return q
}

// push appends a frame, disconnecting the client when the backlog breaks
// client-output-buffer-limit pubsub.
func (q *outQueue) push(lim outLimits, p []byte) {
	hard, soft, secs := lim.hard, lim.soft, lim.secs
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, p)
	q.size += int64(len(p))
	over := hard > 0 && q.size > hard
	if soft > 0 && q.size > soft {
		if q.softSince.IsZero() {
			q.softSince = time.Now()
		} else if time.Since(q.softSince) > time.Duration(secs)*time.Second {
			over = true
		}
	} else {
		q.softSince = time.Time{}
	}
	if over {
		q.closed = true
		q.items = nil
	}
	q.mu.Unlock()
	if over {
		q.c.srv.log.Warn().Int64("id", q.c.ID).Str("addr", q.c.addr).Msg("client scheduled to be closed ASAP for overcoming of output buffer limits (pubsub)")
		q.c.Kill()
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *outQueue) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.items = nil
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run writes queued frames until the queue closes or a write fails.
func (q *outQueue) run() {
	var buf []byte
	for range q.wake {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return
		}
		items := q.items
		q.items = nil
		q.size = 0
		q.softSince = time.Time{}
		q.mu.Unlock()
		buf = buf[:0]
		for _, it := range items {
			buf = append(buf, it...)
		}
		if len(buf) == 0 {
			continue
		}
		if err := q.c.WriteAsync(buf); err != nil {
			q.close()
			q.c.Kill()
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// pubsubLimits parses the pubsub class of client-output-buffer-limit.
func (s *Server) pubsubLimits() (l outLimits) {
	f := strings.Fields(s.cfg.Get("client-output-buffer-limit"))
	for i := 0; i+3 < len(f); i += 4 {
		if strings.EqualFold(f[i], "pubsub") {
			l.hard, _ = ParseMemory(f[i+1])
			l.soft, _ = ParseMemory(f[i+2])
			l.secs, _ = strconv.ParseInt(f[i+3], 10, 64)
		}
	}
	return l
}

// outLimits is client-output-buffer-limit's pubsub class (0 = no limit).
type outLimits struct{ hard, soft, secs int64 }
