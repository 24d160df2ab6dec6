package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/rtgw/realtime/store"
	"github.com/rtgw/realtime/store/files"
)

// Storage keeps upload bytes where every node can reach them.
// files.Dir implements it.
type Storage interface {
	// OpenPart opens an unfinished upload's bytes; create makes them if
	// missing, otherwise missing bytes are fs.ErrNotExist.
	OpenPart(org, id string, create bool) (files.Part, error)
	// Finalize copies src into the upload's final file and moves it into
	// place only if check, called once src is read, accepts; a completed
	// upload is never visible partially, and the part's later writers
	// cannot change it.
	Finalize(org, id string, src io.Reader, check func() error) error
	// Open opens a completed upload (fs.ErrNotExist for unfinished ones).
	Open(org, id string) (*os.File, error)
	// RemovePart deletes an unfinished upload's bytes.
	RemovePart(org, id string) error
	// RemoveStale deletes unfinished uploads last written before cutoff.
	RemoveStale(cutoff time.Time) (int, error)
}

// State keeps upload state where every node can reach it. store.Log
// implements it (see store/uploads.go for the semantics).
type State interface {
	StartUpload(ctx context.Context, org string, u store.Upload, ttl time.Duration, maxPerUser int) error
	ClaimUpload(ctx context.Context, org, user, id, owner string, ttl time.Duration) (store.Upload, error)
	CommitUpload(ctx context.Context, org string, u store.Upload, offset int64, ttl time.Duration) error
	FinishUpload(ctx context.Context, org string, u store.Upload, status string, seq int64, keep time.Duration) error
	AbortUpload(ctx context.Context, org, user, id string) error
	UploadInfo(ctx context.Context, org, id string) (store.Upload, error)
}

// DefaultContentTypes is the allowed list when none is configured:
// documents, images, text and archives — nothing a browser would run.
var DefaultContentTypes = []string{
	"application/pdf", "image/*", "text/plain", "text/csv", "text/markdown",
	"application/zip", "application/octet-stream", "application/json",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.*", "application/vnd.oasis.opendocument.*",
}

// Config configures document uploads. Zero values mean the default.
type Config struct {
	// Storage holds the bytes; nil disables uploads.
	Storage Storage
	// State holds upload state; required with Storage. The gateway fills
	// it in from its gateway.Config.Log when that implements State
	// (store.Log does).
	State State
	// MaxBytes caps one upload's size. Default 100 MiB.
	MaxBytes int64
	// ContentTypes lists allowed MIME types; each entry is a path.Match
	// pattern ("image/*") or "*" for any. Default DefaultContentTypes.
	ContentTypes []string
	// MaxPerUser caps one user's unfinished uploads in an org, across all
	// nodes. Default 4; negative means unlimited.
	MaxPerUser int
	// MaxActive caps the uploads this node writes at once (WebSocket and
	// HTTP). Default 128. With BufferBytes it bounds the memory uploads
	// can take on a node.
	MaxActive int
	// Expiry is how long an unfinished upload lives after its last commit;
	// then its state leaves Redis and a sweep deletes its bytes. Default 1h.
	Expiry time.Duration
	// ChunkBytes is the largest chunk a client may send in one binary
	// message. Default 256 KiB.
	ChunkBytes int
	// BufferBytes caps the received, not yet stored chunk bytes per
	// connection; past it the node stops reading that socket until storage
	// catches up. Default 1 MiB.
	BufferBytes int
	// Workers is the number of goroutines writing uploads to storage.
	// Default 8.
	Workers int
	// KeepDone is how long a finished upload's state stays in Redis, so a
	// late resume learns the outcome. Default 24h.
	KeepDone time.Duration
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("upload: invalid config")

func (u *Config) setDefaults() error {
	if u.Storage == nil {
		return nil
	}
	if u.State == nil {
		return fmt.Errorf("%w: State is required with Storage (the gateway's Log keeps no upload state)", ErrConfig)
	}
	if u.MaxBytes <= 0 {
		u.MaxBytes = 100 << 20
	}
	if len(u.ContentTypes) == 0 {
		u.ContentTypes = DefaultContentTypes
	}
	for _, p := range u.ContentTypes {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%w: upload content type pattern %q: %v", ErrConfig, p, err)
		}
	}
	switch {
	case u.MaxPerUser == 0:
		u.MaxPerUser = 4
	case u.MaxPerUser < 0:
		u.MaxPerUser = 0
	}
	if u.MaxActive <= 0 {
		u.MaxActive = 128
	}
	if u.Expiry <= 0 {
		u.Expiry = time.Hour
	}
	if u.ChunkBytes <= 0 {
		u.ChunkBytes = 256 << 10
	}
	if u.ChunkBytes > 16<<20 {
		return fmt.Errorf("%w: upload chunk size %d over 16 MiB", ErrConfig, u.ChunkBytes)
	}
	if u.BufferBytes <= 0 {
		u.BufferBytes = 1 << 20
	}
	if u.BufferBytes < u.ChunkBytes {
		u.BufferBytes = u.ChunkBytes
	}
	if u.Workers <= 0 {
		u.Workers = 8
	}
	if u.KeepDone <= 0 {
		u.KeepDone = 24 * time.Hour
	}
	return nil
}

// allowsType reports whether contentType (parameters stripped) is allowed.
func (u *Config) allowsType(contentType string) bool {
	for _, p := range u.ContentTypes {
		if p == "*" {
			return true
		}
		if ok, _ := path.Match(p, contentType); ok {
			return true
		}
	}
	return false
}
