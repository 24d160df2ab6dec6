package gateway

import (
	"context"
	"net"
	"net/http"
)

// Counting connections that never delivered a request — the header
// timeout cutting off a slowloris client, or a client that connected and
// gave up — takes two hooks on the caller's http.Server: ConnContext tags
// each request with its connection, ConnState remembers connections until
// a request of theirs reaches a handler.
//
//	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
//		ConnContext: srv.ConnContext, ConnState: srv.ConnState}

type connKey struct{}

// ConnContext is an http.Server.ConnContext hook.
func (s *Server) ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnState is an http.Server.ConnState hook.
func (s *Server) ConnState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.unserved.Store(c, struct{}{})
	case http.StateHijacked:
		s.unserved.Delete(c)
	case http.StateClosed:
		if _, ok := s.unserved.LoadAndDelete(c); ok {
			s.metrics.headerTimeouts.Inc()
		}
	}
}

// served marks r's connection as having delivered a request. It wraps the
// router without wrapping the ResponseWriter, so upgrades still hijack.
func (s *Server) served(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			s.unserved.Delete(c)
		}
		next.ServeHTTP(w, r)
	})
}
