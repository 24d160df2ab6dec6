package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// LoadPublicKey reads a key for Config.PublicKey from PEM: the first block
// of type "PUBLIC KEY" (PKIX, what `openssl pkey -pubout` writes), "RSA
// PUBLIC KEY" (PKCS #1) or "CERTIFICATE", whose subject key it takes. Other
// blocks before it, such as "EC PARAMETERS", are skipped.
//
// A certificate is only a carrier for the key, as in the signing
// certificate an identity provider publishes: its dates, chain and key
// usage are not checked. A private key is refused with an error saying so,
// so a mix-up is caught at start-up.
//
// The result is an *rsa.PublicKey or an *ecdsa.PublicKey; New then checks it
// against Config.Algorithm. Errors name the PEM block type; they never
// echo its bytes, and a private key block is not even parsed.
func LoadPublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf(`%w: no "PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE" PEM block`, errConfig)
		}
		key, err := parseKeyBlock(block)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM %q block: %w", errConfig, block.Type, err)
		}
		if key != nil {
			return key, nil
		}
	}
}

// parseKeyBlock parses one PEM block; (nil, nil) means "not a key, skip".
func parseKeyBlock(block *pem.Block) (crypto.PublicKey, error) {
	var key any
	var err error
	switch {
	case block.Type == "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case block.Type == "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case block.Type == "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	case strings.HasSuffix(block.Type, "PRIVATE KEY"):
		return nil, fmt.Errorf("this is a private key; give the public key or certificate")
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return key, nil
	}
	return nil, fmt.Errorf("key type %T not supported (want RSA or ECDSA)", key)
}
