// Package files stores upload bytes in a directory every gateway node
// mounts (a PersistentVolume with ReadWriteMany in Kubernetes), so that an
// upload one node started can be continued by another.
//
// Layout under the root:
//
//	<org>/.partial/<id>   bytes of an unfinished upload, written in place
//	<org>/<id>            a completed upload, moved there by one rename
//
// A completed file is a checked copy of the part that appears only
// through rename(2) after an fsync, so a reader never sees a partial file
// under the final name, a crash leaves either the whole file or none, and
// no writer still holding the part can change it afterwards.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrInvalidName: an org or upload id that cannot be a path element.
var ErrInvalidName = errors.New("files: invalid org or upload id")

// Dir is upload storage in a local or network filesystem directory.
type Dir struct {
	root string
}

// New returns a Dir rooted at root, creating it if needed.
func New(root string) (*Dir, error) {
	if root == "" {
		return nil, fmt.Errorf("files: empty root: %w", ErrInvalidName)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("files: create %s: %w", root, err)
	}
	// Fail at start, not at the first upload, on a volume this user
	// cannot write (a root-owned NFS export): a node would be ready and
	// every upload would fail.
	probe, err := os.CreateTemp(root, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("files: %s is not writable: %w", root, err)
	}
	probe.Close()
	_ = os.Remove(probe.Name())
	return &Dir{root: root}, nil
}

// Root returns the directory's path.
func (d *Dir) Root() string { return d.root }

// Part is an unfinished upload's bytes.
type Part interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Truncate(size int64) error
	Close() error
}

// OpenPart opens the unfinished bytes of upload id. With create it makes
// them (empty) when there are none; without, missing bytes are
// fs.ErrNotExist — a resume must never continue into an empty file.
func (d *Dir) OpenPart(org, id string, create bool) (Part, error) {
	p, err := d.partPath(org, id)
	if err != nil {
		return nil, err
	}
	flags := os.O_RDWR
	if create {
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(p, flags, 0o640)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	if !create {
		// A resume: RemoveStale counts from now, like the upload's expiry.
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return f, nil
}

// Finalize writes src to a new file next to the parts and, if check
// (called once src is exhausted) accepts, syncs it and renames it to upload
// id's final name, then syncs the directory so the rename survives a
// crash. The final file is a copy: a writer still holding the part open
// cannot change it. On any error nothing appears under the final name.
func (d *Dir) Finalize(org, id string, src io.Reader, check func() error) error {
	part, err := d.partPath(org, id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(part), 0o750); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(part), id+".final-*")
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: no such file, harmless
	_, err = io.Copy(tmp, src)
	if err == nil {
		err = check()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.root, org, id)); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	return syncDir(filepath.Join(d.root, org))
}

// Open opens a completed upload; fs.ErrNotExist when there is none (an
// unfinished upload is never opened).
func (d *Dir) Open(org, id string) (*os.File, error) {
	if !validName(org) || !validName(id) {
		return nil, fmt.Errorf("files: %w", fs.ErrNotExist)
	}
	f, err := os.Open(filepath.Join(d.root, org, id))
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return f, nil
}

// RemovePart deletes upload id's unfinished bytes, if any.
func (d *Dir) RemovePart(org, id string) error {
	p, err := d.partPath(org, id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}

// RemoveStale deletes unfinished uploads last written before cutoff and
// returns how many it removed. Several nodes may run it at once.
func (d *Dir) RemoveStale(cutoff time.Time) (int, error) {
	parts, err := filepath.Glob(filepath.Join(d.root, "*", ".partial", "*"))
	if err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	n := 0
	for _, p := range parts {
		st, err := os.Stat(p)
		if err != nil || !st.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(p); err == nil {
			n++
		}
	}
	return n, nil
}

func (d *Dir) partPath(org, id string) (string, error) {
	if !validName(org) || !validName(id) {
		return "", fmt.Errorf("files: %q/%q: %w", org, id, ErrInvalidName)
	}
	return filepath.Join(d.root, org, ".partial", id), nil
}

// validName admits 1-64 bytes of [A-Za-z0-9_.-] not starting with a dot:
// nothing that can climb out of the root or collide with .partial.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("files: sync %s: %w", path, err)
	}
	return nil
}
