// Package charts holds the tests of the Helm charts beside it. They render
// each chart with Helm's Go engine (no helm binary, no cluster), decode
// every object strictly into its Kubernetes API type, and check the wiring
// against what cmd/gateway reads.
//
// It is a module of its own so that Helm and the Kubernetes client
// libraries stay out of the gateway's build:
//
//	cd charts && go test ./...
package charts
