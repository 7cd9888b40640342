package distributed

import (
	"context"
	"net"
	"sync/atomic"
)

// Traffic counts the bytes of TCP connections in both directions, as the application
// writes and reads them (TCP/IP headers excluded).
type Traffic struct {
	// Written and Read are bytes written to and read from the connections.
	Written, Read atomic.Int64
	// Conns counts connections opened.
	Conns atomic.Int64
}

// Total returns bytes written plus bytes read.
func (t *Traffic) Total() int64 { return t.Written.Load() + t.Read.Load() }

// Dial opens a TCP connection to addr whose traffic t counts. Its signature fits
// grpc.WithContextDialer.
func (t *Traffic) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Conns.Add(1)
	return &countedConn{Conn: c, t: t}, nil
}

// countedConn is a net.Conn that adds what passes through it to a Traffic.
type countedConn struct {
	net.Conn
	t *Traffic
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.t.Read.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.t.Written.Add(int64(n))
	return n, err
}
