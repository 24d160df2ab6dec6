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

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// Binary builds ./cmd/gateway once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "gatewaytest-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "gateway")
		cmd := exec.Command("go", "build", "-race", "-o", buildPath, "./cmd/gateway")
		cmd.Dir = root
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/gateway: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
