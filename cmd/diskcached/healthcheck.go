package main

// The healthcheck mode: `diskcached healthcheck [--addr host:port] [--password pw]`.
//
// Minimal images (scratch, distroless) have no redis-cli, so the binary checks
// itself: it connects, authenticates when a password is given, sends PING and
// exits 0 only on +PONG. Unlike `redis-cli ping`, a NOAUTH or WRONGPASS reply
// is a failure, so a container whose password is misconfigured is unhealthy.
// In a container the password comes from $DISKCACHED_PASSWORD (or
// $REDISCLI_AUTH) and the port from $DISKCACHED_PORT when set, so the image's
// HEALTHCHECK needs no arguments.
// It speaks raw RESP2 over net.Conn and uses only the standard library.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

const (
	healthcheckDefaultAddr = "127.0.0.1:6379"
	healthcheckTimeout     = 2 * time.Second
)

// runHealthcheck runs the healthcheck mode with the arguments that follow
// "healthcheck" and returns the process exit code.
func runHealthcheck(args []string) int {
	return hcRun(args, os.Getenv, os.Stderr)
}

func hcRun(args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defAddr := healthcheckDefaultAddr
	if port := getenv("DISKCACHED_PORT"); port != "" {
		defAddr = net.JoinHostPort("127.0.0.1", port)
	}
	addr := fs.String("addr", defAddr, "server address host:port (default 127.0.0.1:$DISKCACHED_PORT or 127.0.0.1:6379)")
	password := fs.String("password", "", "password (default: $REDISCLI_AUTH or $DISKCACHED_PASSWORD)")
	user := fs.String("user", "", "ACL user name for AUTH (default: password only)")
	timeout := fs.Duration("timeout", healthcheckTimeout, "total time allowed")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "healthcheck: unexpected argument %q\n", fs.Arg(0))
		return 1
	}
	pw := *password
	if pw == "" {
		pw = getenv("REDISCLI_AUTH")
	}
	if pw == "" {
		pw = getenv("DISKCACHED_PASSWORD")
	}
	if err := hcPing(*addr, *user, pw, *timeout); err != nil {
		fmt.Fprintf(stderr, "healthcheck: %s: %v\n", *addr, err)
		return 1
	}
	return 0
}

// ping dials addr, sends AUTH when password is set, then PING, all within timeout.
func hcPing(addr, user, password string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		auth := []string{"AUTH", password}
		if user != "" {
			auth = []string{"AUTH", user, password}
		}
		reply, err := hcRoundTrip(conn, r, auth...)
		if err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
		if reply != "+OK" {
			return fmt.Errorf("AUTH: %s", reply)
		}
	}
	reply, err := hcRoundTrip(conn, r, "PING")
	if err != nil {
		return fmt.Errorf("PING: %w", err)
	}
	if reply != "+PONG" {
		return fmt.Errorf("PING: %s", reply)
	}
	return nil
}

// roundTrip writes one command as a RESP array of bulk strings and reads one
// reply line. Only simple-string and error replies are expected; any other
// reply type is returned as its first line, which the caller treats as failure.
func hcRoundTrip(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", errors.New("connection closed by server")
		}
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	return line, nil
}
