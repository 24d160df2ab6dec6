package auth

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestLoadPublicKey(t *testing.T) {
	rsaPub, ec256Pub, ec384Pub := rsaKey().Public(), ec256Key().Public(), ec384Key().Public()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey())
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name    string
		pem     []byte
		want    crypto.PublicKey
		wantErr string // substring; "" means success with want
	}{
		{name: "PKIX RSA", pem: pemPKIX(t, rsaPub), want: rsaPub},
		{name: "PKIX P-256", pem: pemPKIX(t, ec256Pub), want: ec256Pub},
		{name: "PKIX P-384", pem: pemPKIX(t, ec384Pub), want: ec384Pub},
		{name: "PKCS1 RSA", pem: pemPKCS1(&rsaKey().PublicKey), want: rsaPub},
		{name: "certificate RSA", pem: pemCert(t, rsaKey()), want: rsaPub},
		{name: "certificate P-256", pem: pemCert(t, ec256Key()), want: ec256Pub},
		{name: "certificate chain takes the first", pem: join(pemCert(t, ec384Key()), pemCert(t, rsaKey())), want: ec384Pub},
		{name: "text before the block", pem: join([]byte("# issuer signing key\n"), pemPKIX(t, rsaPub)), want: rsaPub},
		{name: "EC PARAMETERS skipped", pem: join(block("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}), pemPKIX(t, ec256Pub)),
			want: ec256Pub},
		{name: "empty", pem: nil, wantErr: "no \"PUBLIC KEY\""},
		{name: "garbage", pem: []byte("not a key at all"), wantErr: "no \"PUBLIC KEY\""},
		{name: "DER without PEM", pem: mustPKIXDER(t, rsaPub), wantErr: "no \"PUBLIC KEY\""},
		{name: "only unknown blocks", pem: block("EC PARAMETERS", []byte{1}), wantErr: "no \"PUBLIC KEY\""},
		{name: "PUBLIC KEY garbage", pem: block("PUBLIC KEY", []byte("garbage")), wantErr: `PEM "PUBLIC KEY" block`},
		{name: "RSA PUBLIC KEY holding PKIX", pem: block("RSA PUBLIC KEY", mustPKIXDER(t, rsaPub)), wantErr: `PEM "RSA PUBLIC KEY" block`},
		{name: "CERTIFICATE garbage", pem: block("CERTIFICATE", []byte("garbage")), wantErr: `PEM "CERTIFICATE" block`},
		{name: "private key PKCS8", pem: block("PRIVATE KEY", pkcs8), wantErr: "this is a private key"},
		{name: "private key PKCS1", pem: block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey())), wantErr: "this is a private key"},
		{name: "Ed25519 public key", pem: pemPKIX(t, edKey().Public()), wantErr: "ed25519.PublicKey not supported"},
		{name: "Ed25519 certificate", pem: pemCert(t, edKey()), wantErr: "ed25519.PublicKey not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadPublicKey(tc.pem)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errConfig) {
					t.Fatalf("LoadPublicKey error %v, want errConfig containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadPublicKey: %v", err)
			}
			if eq, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(tc.want) {
				t.Fatalf("LoadPublicKey = %T, not the expected key", got)
			}
		})
	}
}

// TestLoadPublicKeyVerifies goes from the PEM an operator deploys to a
// verified token, the path cmd/gateway takes.
func TestLoadPublicKeyVerifies(t *testing.T) {
	pub, err := LoadPublicKey(pemCert(t, rsaKey()))
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	v := newKeyVerifier(t, "RS256", pub, nil)
	if _, err := v.Verify(signWith(t, jwt.SigningMethodRS256, rsaKey(), payload())); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
