package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// worker is one worker process: it holds its share of the connections and
// answers the coordinator's commands (wire.go).
type worker struct {
	job     job
	clients []*client
	tokens  *minter

	outMu sync.Mutex
	out   *json.Encoder

	frames, events, bytes atomic.Int64
	errorFrames           atomic.Int64
	latency               hist
	snapped               [3]int64 // events, frames, bytes at the previous snap; owned by the command loop

	closedMu   sync.Mutex
	closed     int
	closeCodes map[int]int
}

// runWorker is the hidden -worker mode. It returns the exit code.
func runWorker(in io.Reader, out io.Writer) int {
	w := &worker{out: json.NewEncoder(out), closeCodes: map[int]int{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var cmd command
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			w.send(reply{Type: "error", Err: "bad command: " + err.Error()})
			return 2
		}
		if cmd.Cmd == "close" {
			break
		}
		w.send(w.handle(cmd))
	}
	for _, c := range w.clients {
		c.drop()
	}
	return 0
}

func (w *worker) handle(cmd command) reply {
	switch cmd.Cmd {
	case "connect":
		if err := w.setup(cmd.Job); err != nil {
			return reply{Type: "error", Err: err.Error()}
		}
		return w.connectAll(false, nil)
	case "snap":
		return w.snap(cmd)
	case "drop":
		w.dropAll()
		return reply{Type: "drop"}
	case "reconnect":
		return w.reconnect(cmd)
	}
	return reply{Type: "error", Err: "unknown command " + cmd.Cmd}
}

// send writes one reply line; safe from any goroutine.
func (w *worker) send(r reply) {
	r.Worker = w.job.Worker
	w.outMu.Lock()
	defer w.outMu.Unlock()
	_ = w.out.Encode(r)
}

// setup builds the clients of j, checks the file limit and arms the
// deadline and the progress reports.
func (w *worker) setup(j *job) error {
	if j == nil || j.Count < 0 || len(j.Targets) == 0 || len(j.Sources) == 0 {
		return fmt.Errorf("worker: incomplete job")
	}
	w.job = *j
	if err := ensureFiles(j.Count + 64); err != nil {
		return err
	}
	time.AfterFunc(time.Until(time.Unix(j.Deadline, 0)), func() {
		fmt.Fprintln(os.Stderr, "rtbench worker: deadline reached, exiting")
		os.Exit(3)
	})
	if !j.Ceiling {
		m, err := newMinter(j.Secret)
		if err != nil {
			return err
		}
		w.tokens = m
	}
	for i := j.First; i < j.First+j.Count; i++ {
		w.clients = append(w.clients, w.newClient(i))
	}
	go w.reportProgress()
	return nil
}

func (w *worker) newClient(i int) *client {
	j := w.job
	c := &client{w: w, idx: i, target: j.Targets[i%len(j.Targets)], src: net.ParseIP(j.Sources[i%len(j.Sources)])}
	s := streamFor(j.RunID, i%j.Orgs, (i/j.Orgs)%j.Services)
	c.org, c.svc, c.stream = s.org, s.svc, s.key
	c.chk.dense = j.Services == 1
	if j.Ceiling {
		c.org, c.svc, c.stream = "ceiling", "s0", "ceiling"
		c.chk.dense = true
	}
	return c
}

// serverClosed counts a connection the server (or the network) ended.
func (w *worker) serverClosed(code int) {
	w.closedMu.Lock()
	w.closed++
	w.closeCodes[code]++
	w.closedMu.Unlock()
}

func (w *worker) closedStats() (int, map[int]int) {
	w.closedMu.Lock()
	defer w.closedMu.Unlock()
	return w.closed, maps.Clone(w.closeCodes)
}

// open counts the connections whose reader is still running.
func (w *worker) open() int {
	n := 0
	for _, c := range w.clients {
		if c.alive() {
			n++
		}
	}
	return n
}

// reportProgress sends cumulative counters once a second until the process
// exits.
func (w *worker) reportProgress() {
	for range time.Tick(time.Second) {
		w.send(reply{Type: "progress", Conns: w.open(), Events: w.events.Load(), Frames: w.frames.Load(), Bytes: w.bytes.Load()})
	}
}
