package auth

// Keys and key encodings for the public-key tests. Each key is generated
// once per test binary: a 2048-bit RSA key takes a noticeable moment,
// more under -race.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"
)

var (
	rsaKey        = onceKey(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	rsaOtherKey   = onceKey(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	ec256Key      = onceKey(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	ec256OtherKey = onceKey(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	ec384Key      = onceKey(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) })
	ec384OtherKey = onceKey(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) })
	p521Key       = onceKey(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) })
	// edKey is a key type we do not support, for the refusal cases.
	edKey = onceKey(func() (ed25519.PrivateKey, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err })
)

// onceKey memoises a key generator; generation failing is a broken
// environment, not a test failure, so it panics.
func onceKey[K any](gen func() (K, error)) func() K {
	return sync.OnceValue(func() K {
		k, err := gen()
		if err != nil {
			panic(err)
		}
		return k
	})
}

// pemPKIX is pub as a "PUBLIC KEY" PEM block, the file an operator would
// deploy and the bytes an HS/RS confusion attacker would use as a secret.
func pemPKIX(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIXDER(tb, pub)})
}

// mustPKIXDER is pub in PKIX DER, without PEM armour.
func mustPKIXDER(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatalf("marshal PKIX: %v", err)
	}
	return der
}

// pemPKCS1 is pub as an "RSA PUBLIC KEY" PEM block.
func pemPKCS1(pub *rsa.PublicKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
}

// pemCert is a self-signed "CERTIFICATE" for key. It expired long ago on
// purpose: LoadPublicKey must take the key and ignore the dates.
func pemCert(tb testing.TB, key crypto.Signer) []byte {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test issuer"},
		NotBefore:    t0.Add(-time.Hour),
		NotAfter:     t0,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatalf("create certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
