package files

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A part is invisible under the final name until Finalize; the final file
// is a checked copy, which later writes to the part cannot change; a
// failed check leaves nothing under the final name; a resume never
// creates a missing part.
func TestFinalizeCopiesCheckedBytes(t *testing.T) {
	d, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.OpenPart("org1", "u1", false); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenPart without create made a part: %v", err)
	}
	p, err := d.OpenPart("org1", "u1", true)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.WriteAt([]byte("world"), 6); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteAt([]byte("hello "), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open("org1", "u1"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("partial file opened as complete: %v", err)
	}
	refused := errors.New("refused")
	if err := d.Finalize("org1", "u1", io.NewSectionReader(p, 0, 11), func() error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("Finalize with a failing check: %v", err)
	}
	if _, err := d.Open("org1", "u1"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a refused file appeared under the final name")
	}
	if err := d.Finalize("org1", "u1", io.NewSectionReader(p, 0, 11), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteAt([]byte("HELLO"), 0); err != nil { // a stale writer
		t.Fatal(err)
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
	if left, _ := filepath.Glob(filepath.Join(d.Root(), "org1", ".partial", "u1.final-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// Names that could escape the root are refused.
func TestInvalidNames(t *testing.T) {
	d, _ := New(t.TempDir())
	for _, name := range []string{"", "..", "../x", "a/b", ".partial", "a\x00b"} {
		if _, err := d.OpenPart("org", name, true); !errors.Is(err, ErrInvalidName) {
			t.Errorf("OpenPart(%q): %v", name, err)
		}
		if _, err := d.OpenPart(name, "u", true); !errors.Is(err, ErrInvalidName) {
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
		p, err := d.OpenPart("org", id, true)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	if err := d.Finalize("org", "done", strings.NewReader("x"), func() error { return nil }); err != nil {
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
