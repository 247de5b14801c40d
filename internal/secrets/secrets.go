// Package secrets encrypts values such as APIKEY at rest with AES-GCM.
//
// The key comes from MODELSQL_SECRET_KEY when set (any string; it is hashed
// to 32 bytes with SHA-256), otherwise from the file secret.key in the data
// directory, created on first use with mode 0600.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// prefix marks a sealed value so that plain and sealed values can be told apart.
const prefix = "enc:v1:"

// Box seals and opens secret strings.
type Box struct{ aead cipher.AEAD }

// KeyFile is the name of the key file inside the data directory.
const KeyFile = "secret.key"

// Load returns the Box for a data directory.
func Load(dataDir string) (*Box, error) {
	var key []byte
	if env := os.Getenv("MODELSQL_SECRET_KEY"); env != "" {
		sum := sha256.Sum256([]byte(env))
		key = sum[:]
	} else {
		path := filepath.Join(dataDir, KeyFile)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			if len(b) != 32 {
				return nil, fmt.Errorf("secret key file %s: want 32 bytes, found %d", path, len(b))
			}
			key = b
		case errors.Is(err, os.ErrNotExist):
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			if err := writeNew(path, key); err != nil {
				// Another process may have created it first: use theirs.
				if b, rerr := os.ReadFile(path); rerr == nil && len(b) == 32 {
					key = b
				} else {
					return nil, fmt.Errorf("create secret key file %s: %w", path, err)
				}
			}
		default:
			return nil, fmt.Errorf("read secret key file: %w", err)
		}
	}
	return New(key)
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Seal encrypts plain.
func (b *Box) Seal(plain string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return prefix + base64.StdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal. The error never contains the value.
func (b *Box) Open(sealed string) (string, error) {
	if !strings.HasPrefix(sealed, prefix) {
		return "", errors.New("secret is not sealed")
	}
	raw, err := base64.StdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("sealed secret is corrupt")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("cannot decrypt secret: wrong key (MODELSQL_SECRET_KEY or secret.key changed?)")
	}
	return string(plain), nil
}

// IsSealed reports whether s was produced by Seal.
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Mask is what is shown in place of a secret.
const Mask = "******"
