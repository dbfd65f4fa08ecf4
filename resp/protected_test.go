package resp

import (
	"net"
	"testing"
)

func TestServer_ProtectedMode_DeniesOnlyRemoteWithoutPassword(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 50000}
	local4 := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 50000}
	local6 := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 50000}
	unix := &net.UnixAddr{Name: "/tmp/s", Net: "unix"}
	for _, tc := range []struct {
		protected, password string
		addr                net.Addr
		deny                bool
	}{
		{"yes", "", remote, true},
		{"yes", "", local4, false},
		{"yes", "", local6, false},
		{"yes", "", unix, false},
		{"yes", "secret", remote, false}, // a password lifts it
		{"no", "", remote, false},
	} {
		cfg := NewConfig()
		cfg.Set("protected-mode", tc.protected)
		cfg.Set("requirepass", tc.password)
		s := &Server{cfg: cfg}
		if got := s.protectedDenied(tc.addr); got != tc.deny {
			t.Errorf("protected-mode %s, password %q, client %v: denied=%v, want %v", tc.protected, tc.password, tc.addr, got, tc.deny)
		}
	}
}
