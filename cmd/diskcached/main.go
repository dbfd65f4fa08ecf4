// Command diskcached is a Redis-compatible cache server that keeps its data
// on disk.
//
//	diskcached [/path/to/diskcached.conf] [--directive value ...]
//	diskcached healthcheck [--addr host:port] [--password pw]
//	diskcached --version
//
// Directives are Redis's names (port, bind, dir, appendfsync, maxmemory…);
// on the command line each takes every following argument up to the next
// "--name". With no arguments it listens on 127.0.0.1:6379 with data in
// ./data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when --pprof-addr is set
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/diskcached/diskcached/engine"
	"github.com/diskcached/diskcached/eviction"
	"github.com/diskcached/diskcached/resp"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(runHealthcheck(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run starts the server and blocks until it stops; it returns the exit code.
func run(args []string, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "diskcached: "+format+"\n", a...)
		return 1
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		fmt.Fprintf(stderr, "diskcached %s (Redis %s compatible)\n", version, "7.0")
		return 0
	}
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprintln(stderr, "usage: diskcached [/path/to/diskcached.conf] [--directive value ...]\n       diskcached healthcheck [--addr host:port] [--password pw]")
		return 0
	}
	cfg, err := loadConfig(args)
	if err != nil {
		return fail("config: %v", err)
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		return fail("log: %v", err)
	}
	defer closeLog()
	applyGCPolicy(cfg.Int("overlay-size"))

	start := time.Now()
	db, err := engine.Open(engine.Options{
		Dir:         cfg.Get("dir"),
		Fsync:       cfg.Fsync(),
		Databases:   int(cfg.Int("databases")),
		OverlaySize: cfg.Int("overlay-size"),
		PageSize:    int(cfg.Int("page-size")),
		Logger:      log.With().Str("component", "engine").Logger(),
	})
	if err != nil {
		return fail("cannot open data directory %q: %v", cfg.Get("dir"), err)
	}
	evCtx, stopEvictor := context.WithCancel(context.Background())
	ev := eviction.Start(evCtx, db, eviction.Options{CompactFreeRatio: int(cfg.Int("compact-free-ratio"))},
		log.With().Str("component", "eviction").Logger())
	var once sync.Once
	stop := make(chan struct{})
	shutdown := func() { once.Do(func() { close(stop) }) }
	srv := resp.New(resp.Options{
		Config:   cfg,
		DB:       db,
		Logger:   log.With().Str("component", "server").Logger(),
		Version:  version,
		Shutdown: shutdown,
		OnConfigChange: func(name string) {
			if name == "compact-free-ratio" {
				ev.SetCompactFreeRatio(int(cfg.Int(name)))
			}
		},
	})
	if err := srv.Listen(); err != nil {
		stopEvictor()
		ev.Wait()
		db.Close()
		return fail("cannot listen: %v", err)
	}
	startProcs(evCtx, cfg.Get("procs"), srv.Stats().CommandsProcessed.Load, srv.Stats().Pipelines.Load, log.With().Str("component", "procs").Logger())
	if addr := cfg.Get("pprof-addr"); addr != "" {
		startPprof(addr, log)
	}
	if pid := cfg.Get("pidfile"); pid != "" {
		os.WriteFile(pid, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
		defer os.Remove(pid)
	}
	log.Info().
		Str("version", version).
		Strs("addr", srv.Addrs()).
		Str("dir", cfg.Get("dir")).
		Str("appendfsync", cfg.Get("appendfsync")).
		Str("maxmemory", cfg.Get("maxmemory")).
		Str("maxmemory_policy", cfg.Get("maxmemory-policy")).
		Dur("startup", time.Since(start)).
		Msg("diskcached ready to accept connections")

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sigs:
		log.Info().Str("signal", s.String()).Msg("shutting down")
	case <-stop:
		log.Info().Msg("shutting down (SHUTDOWN command)")
	case err := <-served:
		if err != nil {
			log.Error().Err(err).Msg("server stopped")
		}
	}
	srv.Close()
	stopEvictor()
	ev.Wait()
	if err := db.Close(); err != nil {
		log.Error().Err(err).Msg("closing the store failed")
		return 1
	}
	log.Info().Msg("diskcached is now ready to exit, bye bye")
	return 0
}

// envDefaults are environment variables that set directives (the Docker
// image uses them); the config file and the command line override them.
var envDefaults = []struct{ env, directive string }{
	{"DISKCACHED_BIND", "bind"},
	{"DISKCACHED_PORT", "port"},
	{"DISKCACHED_DIR", "dir"},
	{"DISKCACHED_PROTECTED_MODE", "protected-mode"},
	{"DISKCACHED_PASSWORD", "requirepass"},
}

// loadConfig applies, lowest first: built-in defaults, environment
// defaults, the optional config file, then the command-line directives.
func loadConfig(args []string) (*resp.Config, error) {
	cfg := resp.NewConfig()
	for _, e := range envDefaults {
		if v := os.Getenv(e.env); v != "" {
			if err := cfg.Set(e.directive, v); err != nil {
				return nil, fmt.Errorf("%s: %w", e.env, err)
			}
		}
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if err := cfg.LoadFile(args[0]); err != nil {
			return nil, err
		}
		args = args[1:]
	}
	for i := 0; i < len(args); {
		if !strings.HasPrefix(args[i], "--") || len(args[i]) == 2 {
			return nil, fmt.Errorf("unexpected argument %q (directives are --name value)", args[i])
		}
		name := args[i][2:]
		j := i + 1
		var vals []string
		for j < len(args) && !(strings.HasPrefix(args[j], "--") && len(args[j]) > 2) {
			vals = append(vals, args[j])
			j++
		}
		if err := cfg.Set(name, strings.Join(vals, " ")); err != nil {
			return nil, err
		}
		i = j
	}
	return cfg, nil
}

// newLogger builds the zerolog logger from loglevel, logfile and log-format.
func newLogger(cfg *resp.Config) (zerolog.Logger, func(), error) {
	var out io.Writer = os.Stderr
	closeFn := func() {}
	if path := cfg.Get("logfile"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return zerolog.Nop(), closeFn, err
		}
		out, closeFn = f, func() { f.Close() }
	}
	if cfg.Get("log-format") == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: "2006-01-02 15:04:05.000", NoColor: true}
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	l := zerolog.New(out).Level(resp.LogLevel(cfg.Get("loglevel"))).With().Timestamp().Logger()
	return l, closeFn, nil
}

// startPprof serves net/http/pprof on addr (opt-in, for profiling).
func startPprof(addr string, log zerolog.Logger) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error().Err(err).Str("addr", addr).Msg("pprof listener failed")
		return
	}
	log.Info().Str("addr", ln.Addr().String()).Msg("pprof listening")
	go func() {
		if err := http.Serve(ln, nil); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error().Err(err).Msg("pprof stopped")
		}
	}()
}
