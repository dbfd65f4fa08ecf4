package resp

import (
	"strings"
	"testing"
	"time"
)

func TestIntrospect_AppendRepr_EscapesLikeRedis(t *testing.T) {
	cases := map[string]string{
		"":                 `""`,
		"abc":              `"abc"`,
		"a b":              `"a b"`,
		"q\"b\\s":          `"q\"b\\s"`,
		"\n\r\t\a\b":       `"\n\r\t\a\b"`,
		"\x00\x7f\xff\x1b": `"\x00\x7f\xff\x1b"`,
		"~":                `"~"`,
	}
	for in, want := range cases {
		if got := string(appendRepr(nil, []byte(in))); got != want {
			t.Errorf("appendRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestIntrospect_MonitorLine_FormatAndRedaction(t *testing.T) {
	c := &Client{addr: "127.0.0.1:5000", db: 3}
	now := time.Unix(1700000000, 42000)
	got := string(monitorLine(c.db, c.addr, [][]byte{[]byte("set"), []byte("k"), []byte("v v")}, now))
	if want := "+1700000000.000042 [3 127.0.0.1:5000] \"set\" \"k\" \"v v\"\r\n"; got != want {
		t.Errorf("monitorLine = %q, want %q", got, want)
	}
	got = string(monitorLine(c.db, c.addr, [][]byte{[]byte("HELLO"), []byte("3"), []byte("AUTH"), []byte("u"), []byte("p"), []byte("SETNAME"), []byte("n")}, now))
	if !strings.HasSuffix(got, `"HELLO" "3" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n"`+"\r\n") {
		t.Errorf("HELLO not redacted: %q", got)
	}
	got = string(monitorLine(c.db, c.addr, [][]byte{[]byte("auth"), []byte("default"), []byte("pw")}, now))
	if !strings.HasSuffix(got, `"auth" "(redacted)" "(redacted)"`+"\r\n") {
		t.Errorf("AUTH not redacted: %q", got)
	}
}

func TestIntrospect_SlowlogArgs_Truncates(t *testing.T) {
	args := [][]byte{[]byte("ECHO"), []byte(strings.Repeat("a", 130))}
	got := slowlogArgs(args)
	if string(got[1]) != strings.Repeat("a", 128)+"... (2 more bytes)" {
		t.Errorf("long arg = %q", got[1])
	}
	args[1][0] = 'b' // the entry must not alias the request
	if got[1][0] != 'a' {
		t.Error("slowlog entry aliases the command's arguments")
	}
	many := make([][]byte, 33)
	for i := range many {
		many[i] = []byte("x")
	}
	got = slowlogArgs(many)
	if len(got) != 32 || string(got[31]) != "... (2 more arguments)" {
		t.Errorf("33 args → %d, last %q", len(got), got[len(got)-1])
	}
	if got := slowlogArgs(many[:32]); len(got) != 32 || string(got[31]) != "x" {
		t.Errorf("32 args must be kept as they are: last %q", got[31])
	}
}

func TestIntrospect_BytesToHuman_RedisUnits(t *testing.T) {
	cases := map[int64]string{0: "0B", 1023: "1023B", 1024: "1.00K", 1536: "1.50K", 1 << 20: "1.00M", 3 << 30: "3.00G"}
	for n, want := range cases {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestIntrospect_Categories_ImplicitRules(t *testing.T) {
	get := &Command{Name: "get", Flags: FlagReadonly | FlagFast, Group: "string"}
	if got := strings.Join(get.categories(), " "); got != "read string fast" {
		t.Errorf("get categories = %q", got)
	}
	kill := &Command{Name: "client|kill", Flags: FlagAdmin | FlagNoScript, Group: "connection"}
	if got := strings.Join(kill.categories(), " "); got != "admin slow dangerous connection" {
		t.Errorf("client|kill categories = %q", got)
	}
	container := &Command{Name: "client", Group: "connection", Subs: map[string]*Command{}}
	if got := strings.Join(container.categories(), " "); got != "slow" {
		t.Errorf("container categories = %q", got)
	}
}

func TestIntrospect_IsConfigOrExec_AnyCase(t *testing.T) {
	for _, s := range []string{"config", "CONFIG", "Config", "exec", "EXEC"} {
		if !isConfigOrExec([]byte(s)) {
			t.Errorf("%q not recognised", s)
		}
	}
	for _, s := range []string{"", "get", "confix", "execs", "exe"} {
		if isConfigOrExec([]byte(s)) {
			t.Errorf("%q wrongly recognised", s)
		}
	}
}
