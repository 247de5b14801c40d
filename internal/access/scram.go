package access

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it.

// ScramIterations is the PBKDF2 iteration count of new verifiers
// (PostgreSQL's default).
const ScramIterations = 4096

// Mechanism is the SASL mechanism name.
const Mechanism = "SCRAM-SHA-256"

// Verifier is what the warehouse stores instead of a password.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// NewVerifier derives a verifier from a password with a random 16-byte salt.
func NewVerifier(password string) (Verifier, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, err
	}
	return deriveVerifier(password, salt, ScramIterations)
}

func deriveVerifier(password string, salt []byte, iter int) (Verifier, error) {
	salted, err := pbkdf2.Key(sha256.New, string(saslPrep(password)), salt, iter, sha256.Size)
	if err != nil {
		return Verifier{}, err
	}
	clientKey := hmacSHA256(salted, []byte("Client Key"))
	stored := sha256.Sum256(clientKey)
	return Verifier{
		Iterations: iter,
		Salt:       salt,
		StoredKey:  stored[:],
		ServerKey:  hmacSHA256(salted, []byte("Server Key")),
	}, nil
}

// String encodes the verifier in PostgreSQL's pg_authid format:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (base64).
func (v Verifier) String() string {
	b := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", Mechanism, v.Iterations, b(v.Salt), b(v.StoredKey), b(v.ServerKey))
}

// ParseVerifier decodes String's format.
func ParseVerifier(s string) (Verifier, error) {
	bad := errors.New("malformed SCRAM verifier")
	rest, ok := strings.CutPrefix(s, Mechanism+"$")
	if !ok {
		return Verifier{}, bad
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return Verifier{}, bad
	}
	iterText, saltText, ok1 := strings.Cut(iterSalt, ":")
	storedText, serverText, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return Verifier{}, bad
	}
	iter, err := strconv.Atoi(iterText)
	if err != nil || iter < 1 {
		return Verifier{}, bad
	}
	d := base64.StdEncoding.DecodeString
	salt, e1 := d(saltText)
	stored, e2 := d(storedText)
	server, e3 := d(serverText)
	if e1 != nil || e2 != nil || e3 != nil || len(stored) != sha256.Size || len(server) != sha256.Size {
		return Verifier{}, bad
	}
	return Verifier{Iterations: iter, Salt: salt, StoredKey: stored, ServerKey: server}, nil
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// ServerExchange is the server side of one SCRAM-SHA-256 authentication.
// Call First with the client-first-message, then Final with the
// client-final-message; Final returns an error unless the proof is right.
type ServerExchange struct {
	v               Verifier
	fake            bool // unknown user: go through the motions, then fail
	clientFirstBare string
	serverFirst     string
	nonce           string
	gs2Header       string
}

// NewServerExchange starts an exchange against a stored verifier.
func NewServerExchange(v Verifier) *ServerExchange { return &ServerExchange{v: v} }

// NewFakeExchange starts an exchange for a user that does not exist. It
// behaves like a real one (a stable salt derived from key and user, the same
// iteration count) so that a client cannot tell unknown users from wrong
// passwords, and it always fails.
func NewFakeExchange(key []byte, user string) *ServerExchange {
	salt := hmacSHA256(key, []byte("salt:"+user))[:16]
	return &ServerExchange{v: Verifier{Iterations: ScramIterations, Salt: salt, StoredKey: make([]byte, 32), ServerKey: make([]byte, 32)}, fake: true}
}

// ErrAuthFailed is returned for a wrong password (or unknown user).
var ErrAuthFailed = errors.New("password authentication failed")

// First handles the client-first-message and returns the server-first-message.
func (x *ServerExchange) First(clientFirst []byte) ([]byte, error) {
	msg := string(clientFirst)
	// gs2-header: gs2-cbind-flag "," [authzid] ","
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return nil, errors.New("malformed SCRAM client-first-message")
	}
	switch {
	case flag == "n", flag == "y":
		// No channel binding (y: the client could, but we did not offer it).
	case strings.HasPrefix(flag, "p="):
		return nil, errors.New("SCRAM channel binding is not supported; connect with channel_binding=disable or prefer")
	default:
		return nil, errors.New("malformed SCRAM gs2 header")
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, errors.New("malformed SCRAM client-first-message")
	}
	if authzid != "" {
		return nil, errors.New("SCRAM authorization identities are not supported")
	}
	x.gs2Header = flag + "," + authzid + ","
	x.clientFirstBare = bare
	var clientNonce string
	for _, attr := range strings.Split(bare, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			clientNonce = v
		}
		if strings.HasPrefix(attr, "m=") {
			return nil, errors.New("SCRAM extensions are not supported")
		}
	}
	if clientNonce == "" || strings.ContainsAny(clientNonce, ", ") {
		return nil, errors.New("malformed SCRAM client nonce")
	}
	sn := make([]byte, 18)
	if _, err := rand.Read(sn); err != nil {
		return nil, err
	}
	x.nonce = clientNonce + base64.StdEncoding.EncodeToString(sn)
	x.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", x.nonce, base64.StdEncoding.EncodeToString(x.v.Salt), x.v.Iterations)
	return []byte(x.serverFirst), nil
}

// Final checks the client-final-message and returns the server-final-message.
func (x *ServerExchange) Final(clientFinal []byte) ([]byte, error) {
	msg := string(clientFinal)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, errors.New("malformed SCRAM client-final-message")
	}
	withoutProof, proofText := msg[:i], msg[i+3:]
	var cbind, nonce string
	for _, attr := range strings.Split(withoutProof, ",") {
		if v, ok := strings.CutPrefix(attr, "c="); ok {
			cbind = v
		} else if v, ok := strings.CutPrefix(attr, "r="); ok {
			nonce = v
		}
	}
	if cbind != base64.StdEncoding.EncodeToString([]byte(x.gs2Header)) {
		return nil, errors.New("SCRAM channel binding mismatch")
	}
	if nonce != x.nonce {
		return nil, errors.New("SCRAM nonce mismatch")
	}
	proof, err := base64.StdEncoding.DecodeString(proofText)
	if err != nil || len(proof) != sha256.Size {
		return nil, errors.New("malformed SCRAM proof")
	}
	authMessage := []byte(x.clientFirstBare + "," + x.serverFirst + "," + withoutProof)
	clientSig := hmacSHA256(x.v.StoredKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	got := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(got[:], x.v.StoredKey) != 1 || x.fake {
		return nil, ErrAuthFailed
	}
	serverSig := hmacSHA256(x.v.ServerKey, authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSig)), nil
}

// saslPrep normalises a password the way libpq and PostgreSQL do (RFC 4013
// SASLprep): non-ASCII spaces become spaces, characters "commonly mapped to
// nothing" are removed, and the result is NFKC-normalised. Like PostgreSQL,
// a password that SASLprep rejects (prohibited or unassigned characters,
// invalid UTF-8) is used as given. Pure ASCII passwords are unchanged.
func saslPrep(p string) []byte {
	ascii := true
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || !utf8.ValidString(p) {
		return []byte(p)
	}
	var b strings.Builder
	for _, r := range p {
		switch {
		case isNonASCIISpace(r):
			b.WriteRune(' ')
		case isMappedToNothing(r):
		default:
			b.WriteRune(r)
		}
	}
	out := norm.NFKC.String(b.String())
	for _, r := range out {
		if isProhibited(r) {
			return []byte(p)
		}
	}
	return []byte(out)
}

func isNonASCIISpace(r rune) bool {
	switch {
	case r == 0x00A0, r == 0x1680, r >= 0x2000 && r <= 0x200B, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

func isMappedToNothing(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D,
		r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF:
		return true
	}
	return false
}

func isProhibited(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return true
	case r >= 0x2FF0 && r <= 0x2FFB, r >= 0x200E && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x206A && r <= 0x206F:
		return true
	case r >= 0xE0001 && r <= 0xE007F:
		return true
	}
	return false
}
