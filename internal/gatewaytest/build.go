// Package gatewaytest builds the gateway binary and runs it as real
// processes, for tests that kill, drain and restart nodes.
//
//	bin := gatewaytest.Binary(t)
//	node := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: srv.Addr})
//	node.Signal(syscall.SIGTERM)
//	code := node.Wait(t, 30*time.Second)
package gatewaytest

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// build is one cached `go build` of ./cmd/gateway.
type build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

var raceBuild, plainBuild build

// Binary builds ./cmd/gateway with the race detector, once per test
// process, and returns its path.
func Binary(t testing.TB) string { return raceBuild.get(t, true) }

// PlainBinary is Binary without the race detector, for soak and load tests
// whose memory and CPU figures must be the production binary's.
func PlainBinary(t testing.TB) string { return plainBuild.get(t, false) }

func (b *build) get(t testing.TB, race bool) string {
	t.Helper()
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "gatewaytest-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "gateway")
		args := []string{"build", "-o", b.path}
		if race {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/gateway")...)
		cmd.Dir = root
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build ./cmd/gateway: %v\n%s", b.err, b.out)
	}
	return b.path
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
