package kafkatest

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// produceKey is the Kafka API key of Produce requests.
const produceKey = 0

// BrokerFaults sits between the embedded broker and its clients (it wraps
// the broker's listener, so the addresses the broker advertises stay valid).
// It can take the broker off the network (Down, Up), and make writes
// ambiguous: after it has forwarded a chosen Produce request
// to the broker, it drops the broker's answer and cuts the connection. The
// broker has appended the batch; the client only sees a broken connection.
// It can also slow answers down, to widen the window in which a write is
// done but not yet acknowledged.
type BrokerFaults struct {
	// Cut decides, for the n-th Produce request seen (counting from 1),
	// whether to cut the connection after forwarding it.
	Cut func(n int) bool
	// Delay returns how long to hold back an answer after the n-th Produce
	// request (0: none). The delay applies to the connection's next answer,
	// which is that request's unless the client pipelines requests.
	Delay func(n int) time.Duration

	seen atomic.Int64
	cuts atomic.Int64

	mu    sync.Mutex // guards down and conns
	down  bool
	conns map[*cutConn]struct{}
}

// Down cuts every connection and refuses new ones until Up: to clients the
// broker is gone, while its data stays.
func (p *BrokerFaults) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Conn.Close()
	}
	p.conns = nil
}

// Up ends an outage.
func (p *BrokerFaults) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// Cuts is how many connections were cut after a forwarded Produce request.
func (p *BrokerFaults) Cuts() int { return int(p.cuts.Load()) }

// Listen is a kfake.ListenFn.
func (p *BrokerFaults) Listen(network, address string) (net.Listener, error) {
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return &cutListener{Listener: l, p: p}, nil
}

type cutListener struct {
	net.Listener
	p *BrokerFaults
}

func (l *cutListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		p := l.p
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		cc := &cutConn{Conn: c, p: p}
		if p.conns == nil {
			p.conns = make(map[*cutConn]struct{})
		}
		p.conns[cc] = struct{}{}
		p.mu.Unlock()
		return cc, nil
	}
}

// cutConn is the broker's side of one client connection: Read returns the
// client's requests, Write sends the broker's responses.
type cutConn struct {
	net.Conn
	p      *BrokerFaults
	doomed atomic.Bool // a cut Produce request was handed to the broker

	mu      sync.Mutex // guards the request framing state and delays
	header  [6]byte    // size (4 bytes) and API key (2 bytes) of the current request
	headerN int
	left    int             // bytes of the current request not yet read
	delays  []time.Duration // for the next answers
}

var errCut = errors.New("kafkatest: connection cut after a produce request")

func (c *cutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.scan(b[:n])
	}
	return n, err
}

func (c *cutConn) Close() error {
	c.p.mu.Lock()
	delete(c.p.conns, c)
	c.p.mu.Unlock()
	return c.Conn.Close()
}

func (c *cutConn) Write(b []byte) (int, error) {
	if c.doomed.Load() {
		_ = c.Conn.Close()
		return 0, errCut
	}
	c.mu.Lock()
	var d time.Duration
	if len(c.delays) > 0 {
		d, c.delays = c.delays[0], c.delays[1:]
	}
	c.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	return c.Conn.Write(b)
}

// scan follows the request framing and dooms the connection once a
// Produce request chosen by Cut has been read in full.
func (c *cutConn) scan(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(b) > 0 {
		if c.left == 0 {
			n := copy(c.header[c.headerN:], b)
			c.headerN += n
			b = b[n:]
			if c.headerN < len(c.header) {
				return
			}
			c.left = int(binary.BigEndian.Uint32(c.header[:4])) - 2
			if c.left <= 0 {
				c.requestRead()
			}
			continue
		}
		n := min(len(b), c.left)
		c.left -= n
		b = b[n:]
		if c.left == 0 {
			c.requestRead()
		}
	}
}

func (c *cutConn) requestRead() {
	key := int16(binary.BigEndian.Uint16(c.header[4:6]))
	c.headerN, c.left = 0, 0
	if key != produceKey {
		return
	}
	n := int(c.p.seen.Add(1))
	if c.p.Delay != nil {
		if d := c.p.Delay(n); d > 0 {
			c.delays = append(c.delays, d)
		}
	}
	if c.p.Cut != nil && c.p.Cut(n) && !c.doomed.Load() {
		c.doomed.Store(true)
		c.p.cuts.Add(1)
	}
}
