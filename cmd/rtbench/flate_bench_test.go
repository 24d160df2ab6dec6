package main

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"strconv"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

// sampleFrame builds an event frame payload of n realistic events: varied
// ids, amounts, names and timestamps, as a billing service would publish.
func sampleFrame(n int) []byte {
	b := []byte(`{"type":"event","service":"finance","seq":` + strconv.Itoa(1000+n) + `,"events":[`)
	names := []string{"Acme GmbH", "Globex Corporation", "Initech", "Umbrella plc", "Stark Industries"}
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"seq":%d,"type":"invoice.paid","data":{"invoiceId":"inv_%08x","customer":{"id":"cus_%06d","name":%q},"amount":%d.%02d,"currency":"EUR","lines":%d,"paidAt":"2024-05-%02dT10:%02d:%02d.%03dZ"},"ts":"2024-05-%02dT10:%02d:%02d.%03dZ"}`,
			1001+i, 0x9e3779b9*uint32(i+1), 100000+i*7919%99991, names[i%len(names)], 10+i*37%9000, i*13%100, 1+i%9,
			1+i%28, i%60, (i*7)%60, (i*131)%1000, 1+i%28, i%60, (i*7)%60, (i*131)%1000)
	}
	return append(b, "]}"...)
}

// BenchmarkDeflate compares compress/flate with klauspost/compress/flate
// at BestSpeed (the gateway's level) on event frames of 1, 8 and 64 events:
// ns/op, allocations, and the compressed/original ratio.
func BenchmarkDeflate(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		p := sampleFrame(n)
		var out bytes.Buffer
		std, _ := stdflate.NewWriter(&out, stdflate.BestSpeed)
		kp, _ := kpflate.NewWriter(&out, kpflate.BestSpeed)
		impls := []struct {
			name  string
			reset func()
			w     interface {
				Write([]byte) (int, error)
				Flush() error
			}
		}{
			{"stdlib", func() { std.Reset(&out) }, std},
			{"klauspost", func() { kp.Reset(&out) }, kp},
		}
		for _, im := range impls {
			b.Run(fmt.Sprintf("events=%d/bytes=%d/%s", n, len(p), im.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					out.Reset()
					im.reset()
					_, _ = im.w.Write(p)
					_ = im.w.Flush()
				}
				b.ReportMetric(float64(out.Len()-4)/float64(len(p)), "ratio")
			})
		}
	}
}
