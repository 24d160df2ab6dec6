package message_test

import (
	"fmt"
	"time"

	"github.com/rtgw/realtime/gateway/message"
)

func ExampleAck() {
	recovered := true
	fmt.Println(string(message.Ack(42, "EPOCH", &recovered, 1767326645, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))))
	// Output: {"type":"ack","seq":42,"epoch":"EPOCH","recovered":true,"exp":1767326645,"timestamp":"2026-01-02T03:04:05.000Z"}
}
