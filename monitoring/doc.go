// Package monitoring holds no code: its tests prove the operations files
// the Helm chart ships against the real tools that read them.
//
//   - charts/realtime-gateway/files/grafana-dashboard.json: a real
//     Prometheus scrapes real gateway processes under a short load, and
//     every panel query must return data through its HTTP API
//     (prometheus_test.go).
//   - charts/realtime-gateway/files/alerts.yaml: `promtool check rules`,
//     and `promtool test rules testdata/alerts_test.yaml`, which feeds every
//     alert synthetic series it must fire on and others it must not; each
//     alert has a runbook in docs/KUBERNETES.md (rules_test.go).
//
// prometheus and promtool come from the Debian package `prometheus`
// (`apt-get install -y prometheus`); a missing binary fails the tests.
package monitoring
