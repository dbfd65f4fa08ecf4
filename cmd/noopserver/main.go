// Command noopserver is a do-nothing RESP server on the same protocol stack as
// diskcached (github.com/tidwall/redcon). It answers PING with PONG, SET with
// OK, GET with a fixed 100-byte value and everything else with OK, so it
// measures the ceiling that the network and protocol layers put on diskcached.
// tests/bench/bench.sh runs it beside redis-server and diskcached.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/tidwall/redcon"
)

var value = bytes.Repeat([]byte("x"), 100)

func main() {
	port := flag.Int("port", 6390, "TCP port to listen on")
	bind := flag.String("bind", "127.0.0.1", "address to listen on")
	flag.Parse()

	addr := fmt.Sprintf("%s:%d", *bind, *port)
	srv := redcon.NewServer(addr, handle, nil, nil)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		srv.Close()
	}()

	log.Printf("noopserver listening on %s", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Fatal(err)
	}
}

func handle(conn redcon.Conn, cmd redcon.Command) {
	name := cmd.Args[0]
	switch {
	case len(name) == 4 && (name[0]|0x20) == 'p' && (name[1]|0x20) == 'i' && (name[2]|0x20) == 'n' && (name[3]|0x20) == 'g':
		if len(cmd.Args) > 1 {
			conn.WriteBulk(cmd.Args[1])
		} else {
			conn.WriteString("PONG")
		}
	case len(name) == 3 && (name[0]|0x20) == 'g' && (name[1]|0x20) == 'e' && (name[2]|0x20) == 't':
		conn.WriteBulk(value)
	case len(name) == 4 && (name[0]|0x20) == 'q' && (name[1]|0x20) == 'u' && (name[2]|0x20) == 'i' && (name[3]|0x20) == 't':
		conn.WriteString("OK")
		conn.Close()
	case len(name) == 6 && (name[0]|0x20) == 'c' && (name[1]|0x20) == 'o' && (name[2]|0x20) == 'n':
		// CONFIG GET name (redis-benchmark asks for save and appendonly).
		if len(cmd.Args) == 3 {
			conn.WriteArray(2)
			conn.WriteBulk(cmd.Args[2])
			conn.WriteBulkString("")
		} else {
			conn.WriteArray(0)
		}
	default:
		conn.WriteString("OK")
	}
}
