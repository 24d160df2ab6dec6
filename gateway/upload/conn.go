package upload

import "sync"

// Conn is all the uploads see of a WebSocket connection. The gateway's
// connection implements it; this package never touches a socket.
type Conn interface {
	// Org and User are the token's, fixed for the connection's life.
	Org() string
	User() string
	// SendText queues a text message for the client. It never blocks; once
	// the connection is closing the message is dropped.
	SendText(payload []byte)
	// Uploads is the connection's upload state, stored with the
	// connection and used only by this package.
	Uploads() *Feeds
	// Hold and Release are the connection's read gate: Hold charges bytes
	// taken from the socket and not yet stored, and the connection stops
	// reading while the charge is at the gate's cap; Release gives them
	// back and resumes reading once the charge falls to half the cap.
	Hold(n int)
	Release(n int)
	// AllowBinary lets the connection send binary messages of up to n
	// bytes from now on (sticky, so chunks pipelined before an upload
	// ended are answered with an error frame, not a 1009 close).
	AllowBinary(n int)
}

// Feeds is the uploads one connection feeds. Its zero value is ready.
type Feeds struct {
	mu     sync.Mutex
	list   []*upload // caller holds mu
	closed bool      // the connection closed: attach no more; caller holds mu
}

// attach lets c's reader feed u (u.c is c); false (and u detached) when c
// closed meanwhile, or when another resume already took u over. An older
// entry for the same upload (resumed twice on this connection) is replaced.
func (s *Service) attach(c Conn, u *upload) bool {
	f := c.Uploads()
	f.mu.Lock()
	if f.closed || u.stopped.Load() {
		f.mu.Unlock()
		u.detach()
		return false
	}
	for i, x := range f.list {
		if x.rec.ID == u.rec.ID {
			f.list = append(f.list[:i], f.list[i+1:]...)
			break
		}
	}
	f.list = append(f.list, u)
	f.mu.Unlock()
	c.AllowBinary(s.cfg.ChunkBytes + maxChunkHeader)
	return true
}

// forget drops u (released).
func (f *Feeds) forget(u *upload) {
	f.mu.Lock()
	for i, x := range f.list {
		if x == u {
			f.list = append(f.list[:i], f.list[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
}

func (f *Feeds) find(id []byte) *upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.list {
		if u.rec.ID == string(id) && !u.stopped.Load() { // no allocation for the comparison
			return u
		}
	}
	return nil
}

// Detach runs when c closes: its uploads store what arrived, commit, and
// wait for a resume.
func (s *Service) Detach(c Conn) {
	f := c.Uploads()
	f.mu.Lock()
	f.closed = true
	us := f.list
	f.list = nil
	f.mu.Unlock()
	for _, u := range us {
		u.detach()
	}
}

// hold and release charge a connection's read gate for chunk bytes on
// their way to storage, and keep the node's total for the
// upload_buffered_bytes gauge.
func (s *Service) hold(c Conn, n int) {
	s.buffered.Add(int64(n))
	c.Hold(n)
}

func (s *Service) release(c Conn, n int) {
	s.buffered.Add(-int64(n))
	c.Release(n)
}

// sendError sends an error frame about an upload.
func sendError(c Conn, ue *uploadError, uploadID string) {
	p := ue.Problem
	if p.UploadID == "" {
		p.UploadID = uploadID
	}
	c.SendText(p.Bytes())
}
