package wsframe_test

import (
	"errors"
	"testing"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/gateway/wsframe"
)

func TestCheckClientHeader(t *testing.T) {
	rsv1 := ws.Rsv(true, false, false)
	cases := []struct {
		name    string
		h       ws.Header
		deflate bool
		want    error
	}{
		{name: "masked text", h: ws.Header{Fin: true, OpCode: ws.OpText, Masked: true}},
		{name: "unmasked", h: ws.Header{Fin: true, OpCode: ws.OpText}, want: wsframe.ErrUnmasked},
		{name: "rsv2", h: ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Rsv: ws.Rsv(false, true, false)}, want: wsframe.ErrReservedBits},
		{name: "rsv1 without deflate", h: ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Rsv: rsv1}, want: wsframe.ErrCompressionBit},
		{name: "rsv1 with deflate", h: ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Rsv: rsv1}, deflate: true},
		{name: "rsv1 on continuation", h: ws.Header{Fin: true, OpCode: ws.OpContinuation, Masked: true, Rsv: rsv1}, deflate: true, want: wsframe.ErrCompressionBit},
		{name: "rsv1 on ping", h: ws.Header{Fin: true, OpCode: ws.OpPing, Masked: true, Rsv: rsv1}, deflate: true, want: wsframe.ErrCompressionBit},
		{name: "reserved opcode", h: ws.Header{Fin: true, OpCode: 0x3, Masked: true}, want: wsframe.ErrReservedOpcode},
		{name: "fragmented ping", h: ws.Header{OpCode: ws.OpPing, Masked: true}, want: wsframe.ErrInvalidControl},
		{name: "long ping", h: ws.Header{Fin: true, OpCode: ws.OpPing, Masked: true, Length: 126}, want: wsframe.ErrInvalidControl},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := wsframe.CheckClientHeader(tc.h, tc.deflate); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestValidCloseCode(t *testing.T) {
	for code, want := range map[uint16]bool{
		999: false, 1000: true, 1003: true, 1004: false, 1005: false, 1006: false,
		1007: true, 1011: true, 1012: false, 2999: false, 3000: true, 4999: true, 5000: false,
	} {
		if got := wsframe.ValidCloseCode(code); got != want {
			t.Errorf("ValidCloseCode(%d) = %v, want %v", code, got, want)
		}
	}
}
