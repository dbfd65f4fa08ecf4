package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hcFakeServer is a tiny RESP server: it answers PING with +PONG, or with
// -NOAUTH until AUTH with the right password succeeds when password is set.
type hcFakeServer struct {
	ln       net.Listener
	password string
	silent   bool // accept but never reply

	mu   sync.Mutex
	cmds [][]string
}

func hcStartFake(t *testing.T, password string, silent bool) *hcFakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hcFakeServer{ln: ln, password: password, silent: silent}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *hcFakeServer) addr() string { return s.ln.Addr().String() }

func (s *hcFakeServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *hcFakeServer) handle(c net.Conn) {
	defer c.Close()
	if s.silent {
		io.Copy(io.Discard, c)
		return
	}
	r := bufio.NewReader(c)
	authed := s.password == ""
	for {
		args, err := hcReadCommand(r)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.cmds = append(s.cmds, args)
		s.mu.Unlock()
		var reply string
		switch strings.ToUpper(args[0]) {
		case "AUTH":
			pw := args[len(args)-1]
			switch {
			case s.password == "":
				reply = "-ERR AUTH <password> called without any password configured for the default user."
			case pw == s.password:
				authed, reply = true, "+OK"
			default:
				reply = "-WRONGPASS invalid username-password pair or user is disabled."
			}
		case "PING":
			if authed {
				reply = "+PONG"
			} else {
				reply = "-NOAUTH Authentication required."
			}
		default:
			reply = "-ERR unknown command"
		}
		fmt.Fprintf(c, "%s\r\n", reply)
	}
}

func hcReadCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
		if err != nil {
			return nil, fmt.Errorf("bad bulk header %q", hdr)
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:l])
	}
	return args, nil
}

func hcNoEnv(string) string { return "" }

func hcPort(t *testing.T, addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func hcEnv(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestHealthcheck(t *testing.T) {
	open := hcStartFake(t, "", false)
	locked := hcStartFake(t, "s3cret", false)

	// An address where nothing listens: bind a port, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		want    int
		wantErr string
	}{
		{"up", []string{"--addr", open.addr()}, hcNoEnv, 0, ""},
		{"down", []string{"--addr", down}, hcNoEnv, 1, "refused"},
		{"noauth", []string{"--addr", locked.addr()}, hcNoEnv, 1, "NOAUTH"},
		{"wrong password", []string{"--addr", locked.addr(), "--password", "nope"}, hcNoEnv, 1, "WRONGPASS"},
		{"right password", []string{"--addr", locked.addr(), "--password", "s3cret"}, hcNoEnv, 0, ""},
		{"user and password", []string{"--addr", locked.addr(), "--user", "default", "--password", "s3cret"}, hcNoEnv, 0, ""},
		{"REDISCLI_AUTH", []string{"--addr", locked.addr()}, hcEnv(map[string]string{"REDISCLI_AUTH": "s3cret"}), 0, ""},
		{"DISKCACHED_PASSWORD", []string{"-addr=" + locked.addr()}, hcEnv(map[string]string{"DISKCACHED_PASSWORD": "s3cret"}), 0, ""},
		{"DISKCACHED_PORT", nil, hcEnv(map[string]string{"DISKCACHED_PORT": hcPort(t, open.addr())}), 0, ""},
		{"flag beats env", []string{"--addr", locked.addr(), "--password", "nope"}, hcEnv(map[string]string{"DISKCACHED_PASSWORD": "s3cret"}), 1, "WRONGPASS"},
		{"bad flag", []string{"--bogus"}, hcNoEnv, 1, "bogus"},
		{"stray argument", []string{"extra"}, hcNoEnv, 1, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got := hcRun(tc.args, tc.getenv, &stderr)
			if got != tc.want {
				t.Fatalf("exit code %d, want %d (stderr %q)", got, tc.want, stderr.String())
			}
			if tc.want == 0 && stderr.Len() != 0 {
				t.Errorf("stderr on success: %q", stderr.String())
			}
			if tc.want != 0 {
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Errorf("stderr %q does not mention %q", stderr.String(), tc.wantErr)
				}
				if tc.wantErr != "bogus" && strings.Count(stderr.String(), "\n") != 1 {
					t.Errorf("stderr is not one line: %q", stderr.String())
				}
			}
		})
	}
}

func TestHealthcheckSendsAuthBeforePing(t *testing.T) {
	s := hcStartFake(t, "pw", false)
	var stderr bytes.Buffer
	if code := hcRun([]string{"--addr", s.addr(), "--password", "pw"}, hcNoEnv, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got := fmt.Sprint(s.cmds)
	if want := "[[AUTH pw] [PING]]"; got != want {
		t.Errorf("commands %s, want %s", got, want)
	}
}

func TestHealthcheckTimeout(t *testing.T) {
	s := hcStartFake(t, "", true)
	var stderr bytes.Buffer
	start := time.Now()
	code := hcRun([]string{"--addr", s.addr(), "--timeout", "200ms"}, hcNoEnv, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v, want about 200ms", el)
	}
	if !strings.Contains(stderr.String(), "timeout") {
		t.Errorf("stderr %q does not mention timeout", stderr.String())
	}
}
