// Package admission decides who may connect to a gateway node and how
// often, before any Redis work is spent on them: the browser origin policy
// (Origins), token-bucket rates per key (Rate: upgrade attempts per IP,
// client publishes per user) and connection caps per user and per org
// (Conns). All limits are per node.
//
// It must never do I/O, block, or know about connections beyond the keys
// it is given; each type is safe for concurrent use.
package admission
