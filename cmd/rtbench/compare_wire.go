package main

import (
	"context"
	"net"
	"sync/atomic"
)

// wireCounter counts the bytes every compare client reads and writes on
// its sockets: the TCP payload (HTTP headers, chunked framing, WebSocket
// frame headers included; TCP/IP headers not).
type wireCounter struct{ n atomic.Int64 }

// dial is a DialContext that returns counted connections.
func (w *wireCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, w: w}, nil
}

type countedConn struct {
	net.Conn
	w *wireCounter
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.n.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.n.Add(int64(n))
	return n, err
}
