package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// (g) The protocol as a person meets it with the real wscat CLI: connect
// with ?access_token, send the handshake, get the ack, then an event
// published while wscat waits. script(1) gives wscat the terminal it
// expects.
func TestWscatProtocol(t *testing.T) {
	if _, err := exec.LookPath("wscat"); err != nil {
		t.Fatalf("wscat not found: install it with `npm install -g wscat`")
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script not found: install it with `apt-get install -y bsdutils`")
	}
	g := startGateway(t, redistest.Start(t))
	org := newOrg(t)
	tok := token(t, org, time.Now().Add(time.Hour), "finance")
	wscat := "wscat -c 'ws://" + g.addr + "/v2/realtime/stream?access_token=" + tok + "'" +
		` -x '{"services":["finance"],"version":1}' -w 3`
	cmd := exec.Command("script", "-qc", wscat, "/dev/null")
	var out testutil.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wscat: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})

	testutil.EventuallyNote(t, 10*time.Second, "the ack in wscat's output", func() (bool, string) {
		return strings.Contains(out.String(), `"type":"ack"`), out.String()
	})
	g.publish(org, "finance", "invoice.paid", map[string]string{"id": "inv_wscat"})
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("wscat: %v\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("wscat did not exit after its 3s wait:\n%s", out.String())
	}
	got := out.String()
	for _, want := range []string{
		`{"type":"ack","seq":0,"epoch":"`,
		`{"type":"event","service":"finance","seq":1,"events":[{"seq":1,"type":"invoice.paid","data":{"id":"inv_wscat"},"ts":"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("wscat output lacks %s\noutput:\n%s", want, got)
		}
	}
}
