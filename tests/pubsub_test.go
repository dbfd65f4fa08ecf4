package tests

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

var pubsubCases = []diffCase{
	{name: "publish_no_subscribers", cmds: cs(`PUBLISH ch msg`, `SPUBLISH ch msg`)},
	{name: "pubsub_introspection_empty", cmds: cs(`PUBSUB NUMPAT`, `PUBSUB CHANNELS`, `PUBSUB NUMSUB a b`, `PUBSUB SHARDCHANNELS`, `PUBSUB SHARDNUMSUB a`, `PUBSUB NUMSUB`)},
	{name: "pubsub_errors", cmds: cs(`PUBSUB`, `PUBSUB FOO`, `PUBSUB NUMPAT x`, `PUBLISH ch`, `SUBSCRIBE`)},
	{name: "unsubscribe_nothing", cmds: cs(`UNSUBSCRIBE`, `PUNSUBSCRIBE`, `SUNSUBSCRIBE`)},
	{name: "subscribe_confirmations", resp2Only: true, cmds: cs(`SUBSCRIBE a b a`, `PSUBSCRIBE p*`, `SSUBSCRIBE s1`, `PING`, `PING hi`, `UNSUBSCRIBE a`, `PUNSUBSCRIBE`, `SUNSUBSCRIBE s1`, `UNSUBSCRIBE`)},
	{name: "subscribed_mode_refuses", resp2Only: true, cmds: cs(`SUBSCRIBE a`, `GET x`, `SET x 1`, `UNSUBSCRIBE a`, `GET x`)},
}

func TestDiffPubSub_Cases_MatchRedis(t *testing.T) { runDiffCases(t, pubsubCases) }

// TestPubSub_Resp3Push_NormalCommandsAllowed: a RESP3 client gets
// subscribe confirmations and messages as push frames and may keep running
// normal commands on the same connection.
func TestPubSub_Resp3Push_NormalCommandsAllowed(t *testing.T) {
	srv := needShared(t)
	sub := mustDial(t, srv.addr)
	defer sub.Close()
	sub.mustDo(t, "HELLO", "3")
	sub.expect(t, ">3\r\n$9\r\nsubscribe\r\n$5\r\nr3:ch\r\n:1\r\n", "SUBSCRIBE", "r3:ch")
	sub.expect(t, "_\r\n", "GET", "r3:missing")
	pub := mustDial(t, srv.addr)
	defer pub.Close()
	pub.expect(t, ":1\r\n", "PUBLISH", "r3:ch", "hello")
	got, err := sub.ReadReply()
	if err != nil {
		t.Fatal(err)
	}
	if want := ">3\r\n$7\r\nmessage\r\n$5\r\nr3:ch\r\n$5\r\nhello\r\n"; string(got) != want {
		t.Fatalf("push = %q, want %q", got, want)
	}
}

func TestGoRedisPubSub_Resp3_ReceivesMessages(t *testing.T) {
	srv := needShared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := newGoRedis(t, srv.addr, 3)
	ps := c.PSubscribe(ctx, "gr3:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatalf("psubscribe confirmation: %v", err)
	}
	if err := ps.Subscribe(ctx, "gr3:exact"); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatalf("subscribe confirmation: %v", err)
	}
	if n, err := c.Publish(ctx, "gr3:exact", "m1").Result(); err != nil || n != 2 {
		t.Fatalf("PUBLISH = %d %v, want 2 receivers", n, err)
	}
	ch := ps.Channel()
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case m := <-ch:
			if m.Payload != "m1" || m.Channel != "gr3:exact" {
				t.Fatalf("unexpected message %+v", m)
			}
			seen[m.Pattern] = true
		case <-ctx.Done():
			t.Fatalf("timed out; got %v", seen)
		}
	}
	if !seen[""] || !seen["gr3:*"] {
		t.Fatalf("want one message and one pmessage, got %v", seen)
	}
}

// TestPubSub_SlowSubscriber_DisconnectedNotBlocking: a subscriber that never
// reads is cut off at the pubsub output limit while PUBLISH keeps answering.
func TestPubSub_SlowSubscriber_DisconnectedNotBlocking(t *testing.T) {
	srv := startDiskcached(t, "", "--client-output-buffer-limit", "pubsub 256kb 128kb 60")
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	fmt.Fprintf(conn, "SUBSCRIBE slow\r\n")
	buf := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(buf); err != nil {
		t.Fatal(err)
	}
	pub := mustDial(t, srv.addr)
	defer pub.Close()
	payload := strings.Repeat("x", 64<<10)
	deadline := time.Now().Add(20 * time.Second)
	var receivers string
	for i := 0; time.Now().Before(deadline); i++ {
		start := time.Now()
		r := string(pub.mustDo(t, "PUBLISH", "slow", payload))
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("PUBLISH blocked for %v by a slow subscriber", d)
		}
		receivers = r
		if r == ":0\r\n" {
			break
		}
	}
	if receivers != ":0\r\n" {
		t.Fatalf("slow subscriber never disconnected (last PUBLISH %q)", receivers)
	}
	pub.expect(t, ":0\r\n", "PUBSUB", "NUMPAT")
}
