package wsframe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/store"
)

// countObserver counts ObserveDelivery calls and keeps the last time.
type countObserver struct {
	n  atomic.Int32
	ts atomic.Int64
}

func (o *countObserver) ObserveDelivery(ts int64) { o.n.Add(1); o.ts.Store(ts) }

func TestNewCompressesAtThreshold(t *testing.T) {
	big := []byte(strings.Repeat(`{"seq":1,"data":"hello"}`, 100))
	cases := []struct {
		name      string
		payload   []byte
		threshold int
		want      bool
	}{
		{name: "off", payload: big, threshold: -1, want: false},
		{name: "below threshold", payload: big, threshold: len(big) + 1, want: false},
		{name: "at threshold", payload: big, threshold: len(big), want: true},
		{name: "incompressible small", payload: []byte("ab"), threshold: 0, want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := wsframe.New(tc.payload, tc.threshold)
			if f.Compressed() != tc.want {
				t.Fatalf("Compressed() = %v, want %v", f.Compressed(), tc.want)
			}
			h, n, err := wsframe.ParseHeader(f.Wire(false))
			if err != nil || h.OpCode != ws.OpText || !h.Fin || !bytes.Equal(f.Wire(false)[n:], tc.payload) {
				t.Fatalf("plain frame: header %+v err %v", h, err)
			}
			if !tc.want {
				if !bytes.Equal(f.Wire(true), f.Wire(false)) {
					t.Fatal("uncompressed frame sends other bytes to a deflate connection")
				}
				return
			}
			h, n, err = wsframe.ParseHeader(f.Wire(true))
			if rsv1, _, _ := ws.RsvBits(h.Rsv); err != nil || !rsv1 {
				t.Fatalf("deflated frame: header %+v err %v", h, err)
			}
			got, err := wsframe.Inflate(f.Wire(true)[n:], len(tc.payload))
			if err != nil || !bytes.Equal(got, tc.payload) {
				t.Fatalf("inflate: %v, equal %v", err, bytes.Equal(got, tc.payload))
			}
		})
	}
}

func TestInflateLimit(t *testing.T) {
	p := bytes.Repeat([]byte("a"), 10000)
	z, ok := wsframe.Deflate(p)
	if !ok {
		t.Fatal("10000 repeated bytes did not compress")
	}
	if _, err := wsframe.Inflate(z, len(p)-1); !errors.Is(err, wsframe.ErrInflateTooBig) {
		t.Fatalf("one byte under the size: err %v, want ErrInflateTooBig", err)
	}
	if got, err := wsframe.Inflate(z, len(p)); err != nil || len(got) != len(p) {
		t.Fatalf("at the size: %d bytes, err %v", len(got), err)
	}
	if _, err := wsframe.Inflate([]byte{0xff, 0xff, 0xff}, 100); err == nil {
		t.Fatal("garbage inflated without an error")
	}
}

func TestWrittenTellsObserverOnce(t *testing.T) {
	var o countObserver
	var flag atomic.Bool
	flag.Store(true)
	f := wsframe.New([]byte("x"), -1)
	f.Track(1234, &o)
	f.ClearOnWrite(&flag)
	for i := 0; i < 3; i++ {
		f.Written()
	}
	if o.n.Load() != 1 || o.ts.Load() != 1234 {
		t.Fatalf("observer called %d times with %d, want once with 1234", o.n.Load(), o.ts.Load())
	}
	if flag.Load() {
		t.Fatal("ClearOnWrite flag still set after Written")
	}
}

func TestCloseFrame(t *testing.T) {
	f := wsframe.Close(4001, strings.Repeat("r", 200))
	h, n, err := wsframe.ParseHeader(f.Wire(false))
	if err != nil || h.OpCode != ws.OpClose || h.Length != 125 {
		t.Fatalf("header %+v err %v, want a close frame of 125 bytes", h, err)
	}
	code, reason := ws.ParseCloseFrameData(f.Wire(false)[n:])
	if code != 4001 || len(reason) != 123 {
		t.Fatalf("code %d reason %d bytes, want 4001 and 123", code, len(reason))
	}
}

func TestParseHeader(t *testing.T) {
	mask := []byte{1, 2, 3, 4}
	cases := []struct {
		name    string
		b       []byte
		wantLen int64
		wantN   int
		wantErr error
	}{
		{name: "empty", b: nil, wantErr: wsframe.ErrShortHeader},
		{name: "short 7-bit", b: []byte{0x81}, wantErr: wsframe.ErrShortHeader},
		{name: "7-bit masked", b: append([]byte{0x81, 0x85}, mask...), wantLen: 5, wantN: 6},
		{name: "16-bit unmasked", b: []byte{0x82, 126, 0x01, 0x00}, wantLen: 256, wantN: 4},
		{name: "16-bit short", b: []byte{0x82, 126, 0x01}, wantErr: wsframe.ErrShortHeader},
		{name: "64-bit", b: []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, wantLen: 65536, wantN: 10},
		{name: "64-bit msb", b: []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, wantErr: wsframe.ErrLengthMSB},
		{name: "mask short", b: []byte{0x81, 0x85, 1, 2}, wantErr: wsframe.ErrShortHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := wsframe.ParseHeader(tc.b)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && (h.Length != tc.wantLen || n != tc.wantN) {
				t.Fatalf("length %d n %d, want %d %d", h.Length, n, tc.wantLen, tc.wantN)
			}
			if err == nil && h.Masked && !bytes.Equal(h.Mask[:], mask) {
				t.Fatalf("mask %v, want %v", h.Mask, mask)
			}
		})
	}
}

// BenchmarkCompressOnceVsPerConn: compressing a 4 KiB frame once and sharing
// it, against compressing it for each of 100 connections.
func BenchmarkCompressOnceVsPerConn(b *testing.B) {
	pad, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 4096-60)})
	payload := message.AppendEvents(nil, []store.Event{{Seq: 1, Service: "finance", Type: "revenue.created", Data: pad, TS: 1700000000000}})
	b.Run("once", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = wsframe.New(payload, 1024)
		}
	})
	b.Run("per-conn-x100", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for j := 0; j < 100; j++ {
				_ = wsframe.New(payload, 1024)
			}
		}
	})
}
