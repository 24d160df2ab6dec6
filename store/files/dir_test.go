package files

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A part is invisible under the final name until Complete; Complete is a
// rename (idempotent), and the completed bytes are what was written.
func TestPartCompletesByRename(t *testing.T) {
	d, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.OpenPart("org1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteAt([]byte("world"), 6); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteAt([]byte("hello "), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open("org1", "u1"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("partial file opened as complete: %v", err)
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := d.Complete("org1", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Complete("org1", "u1"); err != nil {
		t.Fatalf("second Complete: %v", err)
	}
	f, err := d.Open("org1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if string(b) != "hello world" {
		t.Fatalf("got %q", b)
	}
	if err := d.Complete("org1", "nope"); err == nil {
		t.Fatal("completing a missing upload succeeded")
	}
}

// Names that could escape the root are refused.
func TestInvalidNames(t *testing.T) {
	d, _ := New(t.TempDir())
	for _, name := range []string{"", "..", "../x", "a/b", ".partial", "a\x00b"} {
		if _, err := d.OpenPart("org", name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("OpenPart(%q): %v", name, err)
		}
		if _, err := d.OpenPart(name, "u"); !errors.Is(err, ErrInvalidName) {
			t.Errorf("OpenPart(org %q): %v", name, err)
		}
		if _, err := d.Open("org", name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q): %v", name, err)
		}
	}
}

// RemoveStale deletes only parts older than the cutoff, never completed files.
func TestRemoveStale(t *testing.T) {
	d, _ := New(t.TempDir())
	for _, id := range []string{"old", "new", "done"} {
		p, err := d.OpenPart("org", id)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	if err := d.Complete("org", "done"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(d.Root(), "org", ".partial", "old"), old, old); err != nil {
		t.Fatal(err)
	}
	n, err := d.RemoveStale(time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RemoveStale = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "org", ".partial", "new")); err != nil {
		t.Fatal("fresh part removed")
	}
	if _, err := d.Open("org", "done"); err != nil {
		t.Fatal("completed file removed")
	}
}

// A directory the process cannot write is refused at start.
func TestNewRefusesUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes through permissions; use a path under a file instead.
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(filepath.Join(f, "uploads")); err == nil {
			t.Fatal("New accepted a directory that cannot exist")
		}
		return
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir); err == nil {
		t.Fatal("New accepted a read-only directory")
	}
}
