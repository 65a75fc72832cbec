package sns

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// certValidity is long enough that a persisted certificate never expires
// during a project's life.
const certValidity = 10 * 365 * 24 * time.Hour

// signer holds the RSA key and self-signed certificate SNS messages are
// signed with; the certificate is served at SigningCertURL.
type signer struct {
	key      *rsa.PrivateKey
	keyPEM   []byte
	certPEM  []byte
	certName string // SimpleNotificationService-<32 hex>.pem
}

func newSigner() (*signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate sns signing key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"slsx local SNS"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create sns signing certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode sns signing key: %w", err)
	}
	return makeSigner(key,
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func loadSigner(keyPEM, certPEM []byte) (*signer, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("no PEM block in key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("key is not RSA")
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, errors.New("no PEM block in certificate")
	}
	if _, err := x509.ParseCertificate(cb.Bytes); err != nil {
		return nil, err
	}
	return makeSigner(key, keyPEM, certPEM)
}

func makeSigner(key *rsa.PrivateKey, keyPEM, certPEM []byte) (*signer, error) {
	sum := md5.Sum(certPEM) // a name, not a security property
	return &signer{key: key, keyPEM: keyPEM, certPEM: certPEM,
		certName: "SimpleNotificationService-" + hex.EncodeToString(sum[:]) + ".pem"}, nil
}

// stringToSign builds AWS's canonical string: "<Key>\n<Value>\n" for each
// present key, in the order SNS documents for the message type.
func stringToSign(m map[string]string) string {
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		b.WriteString(k + "\n" + v + "\n")
	}
	return b.String()
}

// sign returns the base64 PKCS#1 v1.5 signature of the canonical string,
// SHA1withRSA for SignatureVersion 1 and SHA256withRSA for 2.
func (sg *signer) sign(version string, m map[string]string) string {
	s := []byte(stringToSign(m))
	var sig []byte
	var err error
	if version == "2" {
		h := sha256.Sum256(s)
		sig, err = rsa.SignPKCS1v15(nil, sg.key, crypto.SHA256, h[:])
	} else {
		h := sha1.Sum(s)
		sig, err = rsa.SignPKCS1v15(nil, sg.key, crypto.SHA1, h[:])
	}
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(sig)
}
