package httpserve

import (
	"net"
	"net/http"
	"sync"
)

// freshConns are the server's connections that have not sent a request
// yet. http.Server.Shutdown counts such a connection as active for 5 s,
// and a client that dialed and then gave up (a stopped bridge's long poll,
// cancelled before it was written) leaves one: the cleanup closes them
// first, so that it does not wait those 5 s.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newFreshConns() *freshConns { return &freshConns{conns: map[net.Conn]struct{}{}} }

// track is an http.Server's ConnState hook.
func (f *freshConns) track(c net.Conn, s http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s == http.StateNew {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

// closeAll closes the connections that never sent a request.
func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}
