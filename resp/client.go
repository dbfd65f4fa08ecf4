package resp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/diskcached/diskcached/engine"
)

// Client is one connection's state. Its fields are owned by the
// connection's goroutine unless marked otherwise.
type Client struct {
	srv *Server
	ID  int64
	rc  redcon.Conn
	nc  net.Conn
	// guard is nc as the input guard (nil for a connection without one):
	// handle asks it whether more of a pipeline is already read.
	guard *guardConn
	addr  string

	W     Writer // replies being built for the current pipeline
	db    int
	ctx   Ctx
	pipe  []redcon.Command
	authd bool

	names            atomic.Pointer[clientNames] // read by other clients (CLIENT LIST)
	dbPub            atomic.Int32                // db, as other clients see it
	created          time.Time
	lastActive       atomic.Int64 // unix ns
	lastCmd          atomic.Pointer[Command]
	NoEvict, NoTouch bool
	replyMode        replyMode

	// closed is set when the connection is gone; killed asks the
	// connection's goroutine to drop it (CLIENT KILL).
	closed atomic.Bool
	killed atomic.Bool

	// wmu serialises direct writes to the socket from other goroutines
	// (pub/sub pushes, MONITOR) with the connection's own flush.
	wmu sync.Mutex

	multi multiState // MULTI/EXEC state (cmd_txn.go)
	sub   subState   // pub/sub state (cmd_pubsub.go)
}

type replyMode uint8

const (
	replyOn replyMode = iota
	replyOff
	replySkip
)

func newClient(s *Server, rc redcon.Conn) *Client {
	c := &Client{
		srv:     s,
		ID:      s.nextClientID.Add(1),
		rc:      rc,
		nc:      rc.NetConn(),
		addr:    rc.RemoteAddr(),
		created: time.Now(),
		authd:   s.cfg.Get("requirepass") == "",
	}
	c.guard, _ = c.nc.(*guardConn)
	c.lastActive.Store(time.Now().UnixNano())
	c.W.proto = 2
	c.ctx = Ctx{S: s, C: c, W: &c.W}
	return c
}

// DB is the client's selected database.
func (c *Client) DB() int { return c.db }

// clientNames are the names a client sets for itself. A new value is
// published whole, so other connections (CLIENT LIST, SLOWLOG) never read
// a half-written string.
type clientNames struct{ name, libName, libVer string }

var noNames = &clientNames{}

// Name is the client's CLIENT SETNAME name ("" if none).
func (c *Client) Name() string { return c.loadNames().name }

// LibName and LibVer are what CLIENT SETINFO set.
func (c *Client) LibName() string { return c.loadNames().libName }
func (c *Client) LibVer() string  { return c.loadNames().libVer }

func (c *Client) loadNames() *clientNames {
	if n := c.names.Load(); n != nil {
		return n
	}
	return noNames
}

// SetName changes the connection name (owner goroutine only).
func (c *Client) SetName(name string) {
	n := *c.loadNames()
	n.name = name
	c.names.Store(&n)
}

// selectDB changes the selected database (owner goroutine only).
func (c *Client) selectDB(db int) {
	c.db = db
	c.dbPub.Store(int32(db))
}

// PublishedDB is the selected database as other goroutines may read it.
func (c *Client) PublishedDB() int { return int(c.dbPub.Load()) }

// Proto is the protocol version chosen with HELLO (2 or 3).
func (c *Client) Proto() int { return c.W.Proto() }

// Addr is the peer address.
func (c *Client) Addr() string { return c.addr }

// LocalAddr is the server-side address.
func (c *Client) LocalAddr() string { return c.nc.LocalAddr().String() }

// Created is when the client connected.
func (c *Client) Created() time.Time { return c.created }

// LastActive is when the client last sent a command.
func (c *Client) LastActive() time.Time { return time.Unix(0, c.lastActive.Load()) }

// LastCommand is the name of the last command run.
func (c *Client) LastCommand() string {
	if cmd := c.lastCmd.Load(); cmd != nil {
		return cmd.Name
	}
	return "NULL"
}

// Kill closes the connection from any goroutine.
func (c *Client) Kill() {
	c.killed.Store(true)
	c.nc.Close()
}

// WriteAsync writes pre-encoded bytes to the socket from another goroutine
// (pub/sub, MONITOR). It may block on a slow client; callers bound it.
func (c *Client) WriteAsync(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Write(p)
	c.nc.SetWriteDeadline(time.Time{})
	if err == nil {
		c.srv.stats.NetOutput.Add(int64(len(p)))
	}
	return err
}

// release frees what the client held when it disconnects.
func (c *Client) release() {
	c.releaseMulti()
	c.releasePubSub()
}

// Ctx is what a handler gets: the server, the client, where to write the
// reply and, for data commands, the open engine transaction.
type Ctx struct {
	S  *Server
	C  *Client
	W  *Writer
	Tx *engine.Tx // nil for commands without the write/readonly flag
	// DB is the selected database for this command.
	DB int
}

// Hit and Miss count keyspace lookups for INFO.
func (c *Ctx) Hit()  { c.S.stats.KeyspaceHits.Add(1) }
func (c *Ctx) Miss() { c.S.stats.KeyspaceMisses.Add(1) }

// Count records a lookup result.
func (c *Ctx) Count(found bool) {
	if found {
		c.Hit()
	} else {
		c.Miss()
	}
}
