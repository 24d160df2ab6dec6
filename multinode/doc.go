// Package multinode holds tests that run several real gateway processes on
// one real redis-server and break them: drains, kills, restarts. It has no
// code of its own.
package multinode
