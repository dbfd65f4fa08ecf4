// Package resp is diskcached's protocol face: the redcon server, connection
// state, the command table and its gates, the reply writer (RESP2 and RESP3),
// and the command handlers grouped as on redis.io (cmd_*.go).
package resp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/tidwall/redcon"

	"github.com/diskcached/diskcached/engine"
)

// Options configure a Server.
type Options struct {
	Config  *Config
	DB      *engine.DB
	Logger  zerolog.Logger
	Version string
	// Shutdown is called by the SHUTDOWN command (from a client goroutine);
	// it should stop the process gracefully.
	Shutdown func()
	// OnConfigChange, if set, is called after CONFIG SET changed a
	// directive, for parts the server does not own (the evictor).
	OnConfigChange func(name string)
}

// Server serves the Redis protocol over one or more listeners.
type Server struct {
	cfg      *Config
	db       *engine.DB
	log      zerolog.Logger
	version  string
	table    *Table
	shutdown func()
	onConfig func(name string)

	runID     string
	startTime time.Time
	maxBulk   atomic.Int64

	mu        sync.Mutex
	listeners []net.Listener
	rcs       []*redcon.Server
	clients   map[int64]*Client
	closing   bool

	nextClientID atomic.Int64
	// runMu is held shared while a pipeline runs and exclusively by Close,
	// so Close returns only after in-flight commands finished.
	runMu   sync.RWMutex
	stopped bool

	stats ServerStats

	// lastSave is the unix time of the last successful SAVE/BGSAVE (start
	// time until one ran); changesAtSave is the engine's change count then.
	lastSave, changesAtSave atomic.Int64

	// Feature state, created by New: WATCH/pub-sub/notifications/scripts
	// (notify.go), blocked clients (blocking.go), CACHE.FETCH leases
	// (cmd_cache_fetch.go), INFO sampling/SLOWLOG/MONITOR (cmd_introspect.go).
	extSt     *extState
	blockSt   *blockState
	fetchSt   *fetchState
	introSt   *introState
	hooksOnce sync.Once
}

// ServerStats are INFO's process counters (CONFIG RESETSTAT zeroes them).
type ServerStats struct {
	ConnectionsReceived atomic.Int64
	CommandsProcessed   atomic.Int64
	Pipelines           atomic.Int64 // command batches read from connections (one per read with commands)
	RejectedConns       atomic.Int64
	NetInput            atomic.Int64
	NetOutput           atomic.Int64
	ErrorReplies        atomic.Int64
	KeyspaceHits        atomic.Int64
	KeyspaceMisses      atomic.Int64
}

// New prepares a server; Listen binds it and Serve runs it.
func New(o Options) *Server {
	id := make([]byte, 20)
	rand.Read(id)
	s := &Server{
		cfg:       o.Config,
		db:        o.DB,
		log:       o.Logger,
		version:   o.Version,
		shutdown:  o.Shutdown,
		onConfig:  o.OnConfigChange,
		table:     newTable(),
		runID:     hex.EncodeToString(id),
		startTime: time.Now(),
		clients:   make(map[int64]*Client),
	}
	s.lastSave.Store(s.startTime.Unix())
	s.extSt = newExtState(s)
	s.blockSt = newBlockState()
	s.fetchSt = &fetchState{leases: map[leaseKey]*lease{}}
	s.introSt = newIntroState(s)
	s.maxBulk.Store(o.Config.Int("proto-max-bulk-len"))
	o.Config.onChange = s.applyConfig
	s.applyConfig("proto-max-bulk-len")
	s.applyEvictionConfig("")
	s.applyDBConfig() // db-maxmemory directives over stored settings (cmd_cache_config.go)
	s.installHooks()
	return s
}

// applyConfig makes a changed directive take effect.
func (s *Server) applyConfig(name string) {
	switch name {
	case "appendfsync":
		if s.db != nil {
			s.db.SetFsync(s.cfg.Fsync())
		}
	case "proto-max-bulk-len":
		s.maxBulk.Store(s.cfg.Int("proto-max-bulk-len"))
	case "timeout":
		d := time.Duration(s.cfg.Int("timeout")) * time.Second
		s.mu.Lock()
		for _, rc := range s.rcs {
			rc.SetIdleClose(d)
		}
		s.mu.Unlock()
	case "loglevel":
		s.log = s.log.Level(LogLevel(s.cfg.Get("loglevel")))
	case "slowlog-log-slower-than", "slowlog-max-len":
		s.intro().loadSlowlogConfig()
	case "maxmemory", "maxmemory-policy", "lfu-log-factor", "lfu-decay-time":
		s.applyEvictionConfig(name)
	}
	if s.onConfig != nil {
		s.onConfig(name)
	}
}

// LogLevel maps Redis's loglevel names to zerolog levels.
func LogLevel(name string) zerolog.Level {
	switch name {
	case "debug":
		return zerolog.DebugLevel
	case "verbose":
		return zerolog.InfoLevel
	case "warning":
		return zerolog.WarnLevel
	case "nothing":
		return zerolog.Disabled
	}
	return zerolog.InfoLevel
}

// Listen binds every address in the bind directive on the configured port.
// It fails (without serving) when an address cannot be bound.
func (s *Server) Listen() error {
	port := s.cfg.Get("port")
	for _, addr := range strings.Fields(s.cfg.Get("bind")) {
		addr = strings.TrimPrefix(addr, "-") // Redis's "-" prefix: optional address
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, port))
		if err != nil {
			s.closeListeners()
			return err
		}
		s.listeners = append(s.listeners, &guardListener{
			Listener: ln,
			maxBulk:  &s.maxBulk,
			keepAlive: func() time.Duration {
				return time.Duration(s.cfg.Int("tcp-keepalive")) * time.Second
			},
		})
	}
	if len(s.listeners) == 0 {
		return errors.New("no address to bind")
	}
	return nil
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() []string {
	var out []string
	for _, ln := range s.listeners {
		out = append(out, ln.Addr().String())
	}
	return out
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Serve accepts connections until Close. It returns after every listener
// stopped.
func (s *Server) Serve() error {
	var wg sync.WaitGroup
	errs := make(chan error, len(s.listeners))
	idle := time.Duration(s.cfg.Int("timeout")) * time.Second
	s.mu.Lock()
	for _, ln := range s.listeners {
		rc := redcon.NewServerNetwork("tcp", ln.Addr().String(), s.handle, s.accept, s.closed)
		rc.SetIdleClose(idle)
		s.rcs = append(s.rcs, rc)
		wg.Add(1)
		go func(rc *redcon.Server, ln net.Listener) {
			defer wg.Done()
			if err := rc.Serve(ln); err != nil {
				errs <- err
			}
		}(rc, ln)
	}
	s.mu.Unlock()
	wg.Wait()
	close(errs)
	return <-errs
}

// Close stops accepting, closes client connections and waits for commands
// already running to finish (their writes commit before the engine closes).
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	rcs := s.rcs
	s.mu.Unlock()
	for _, rc := range rcs {
		rc.Close()
	}
	s.closeListeners()
	s.wakeBlocked()
	s.runMu.Lock()
	s.stopped = true
	s.runMu.Unlock()
}

// accept admits a connection: maxclients and protected mode are enforced
// here, with Redis's texts, before any command is read.
func (s *Server) accept(rc redcon.Conn) bool {
	s.stats.ConnectionsReceived.Add(1)
	nc := rc.NetConn()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	full := int64(len(s.clients)) >= s.cfg.Int("maxclients")
	s.mu.Unlock()
	if full {
		s.stats.RejectedConns.Add(1)
		nc.Write([]byte("-" + string(ErrMaxClients) + "\r\n"))
		return false
	}
	if s.protectedDenied(nc.RemoteAddr()) {
		s.stats.RejectedConns.Add(1)
		nc.Write([]byte("-" + string(ErrProtectedMode) + "\r\n"))
		return false
	}
	c := newClient(s, rc)
	s.mu.Lock()
	s.clients[c.ID] = c
	s.mu.Unlock()
	rc.SetContext(c)
	s.log.Debug().Int64("id", c.ID).Str("addr", c.addr).Msg("client connected")
	return true
}

// protectedDenied is protected mode's decision, as in Redis: with
// protected-mode on and no password, only loopback (and unix-socket)
// clients are served, whatever address the server is bound to.
func (s *Server) protectedDenied(remote net.Addr) bool {
	return s.cfg.Bool("protected-mode") && s.cfg.Get("requirepass") == "" && !isLoopback(remote)
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return true // unix sockets
	}
	return ta.IP.IsLoopback()
}

// closed forgets a connection and releases what it held.
func (s *Server) closed(rc redcon.Conn, err error) {
	c, ok := rc.Context().(*Client)
	if !ok {
		return
	}
	c.closed.Store(true)
	c.release()
	s.mu.Lock()
	delete(s.clients, c.ID)
	s.mu.Unlock()
	ev := s.log.Debug().Int64("id", c.ID).Str("addr", c.addr)
	if err != nil && !errors.Is(err, errProtocolLimit) {
		ev = ev.Err(err)
	}
	ev.Msg("client disconnected")
}

// Clients returns a snapshot of connected clients, by id.
func (s *Server) Clients() []*Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	return out
}

// Table returns the command table.
func (s *Server) Table() *Table { return s.table }

// Config returns the live configuration.
func (s *Server) Config() *Config { return s.cfg }

// DB returns the engine.
func (s *Server) DB() *engine.DB { return s.db }

// Stats returns the process counters.
func (s *Server) Stats() *ServerStats { return &s.stats }

// RunID is the random id INFO reports.
func (s *Server) RunID() string { return s.runID }

// Version is the server version string.
func (s *Server) Version() string { return s.version }

// Uptime is the time since New.
func (s *Server) Uptime() time.Duration { return time.Since(s.startTime) }

// String describes the server for logs.
func (s *Server) String() string {
	return fmt.Sprintf("diskcached %s on %s", s.version, strings.Join(s.Addrs(), ","))
}

// itoa is strconv.Itoa for int64.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
