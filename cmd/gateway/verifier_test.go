package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// REALTIME_JWT_ALGORITHM=ES256 with a PEM public key file verifies tokens
// signed by the matching private key, and nothing else.
func TestPublicKeyVerifierFromEnv(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	file := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(nil, env(map[string]string{
		"REDIS_URL": "redis://localhost:6379", "REALTIME_API_KEY": "k",
		"REALTIME_JWT_ALGORITHM": "ES256", "REALTIME_JWT_PUBLIC_KEY_FILE": file, "REALTIME_JWT_ISSUER": "https://id.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := newVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{"sub": "u", "org": "acme", "iss": "https://id.example", "exp": time.Now().Add(time.Hour).Unix()}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(key)
	if c, err := v.Verify(tok); err != nil || c.Org != "acme" {
		t.Fatalf("ES256 token: %+v %v", c, err)
	}
	claims["iss"] = "https://other.example"
	tok, _ = jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(key)
	if _, err := v.Verify(tok); err == nil {
		t.Fatal("token from another issuer accepted")
	}
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if _, err := v.Verify(hs); err == nil {
		t.Fatal("HS256 token keyed with the public key accepted (alg confusion)")
	}
	_, err = loadConfig(nil, env(map[string]string{"REALTIME_JWT_ALGORITHM": "RS256"}))
	if err == nil || !strings.Contains(err.Error(), "REALTIME_JWT_PUBLIC_KEY_FILE is required") {
		t.Fatalf("RS256 without a key file: %v", err)
	}
}
