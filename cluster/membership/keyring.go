package membership

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/memberlist"
)

// ParseKeyring builds a gossip encryption keyring from text holding one or more
// base64 AES keys (16, 24 or 32 bytes each), separated by commas or newlines. The
// first key encrypts; all of them decrypt, so keys can be rotated one node at a time.
func ParseKeyring(text string) (*memberlist.Keyring, error) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("membership: no key in keyring")
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			return nil, fmt.Errorf("membership: key %d: %w", i+1, err)
		}
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("membership: key %d is %d bytes, want 16, 24 or 32", i+1, n)
		}
		keys = append(keys, k)
	}
	kr, err := memberlist.NewKeyring(keys, keys[0])
	if err != nil {
		return nil, fmt.Errorf("membership: keyring: %w", err)
	}
	return kr, nil
}

// LoadKeyring reads a keyring (see ParseKeyring) from a file.
func LoadKeyring(path string) (*memberlist.Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("membership: read keyring: %w", err)
	}
	return ParseKeyring(string(b))
}
