// C2SP signed notes, the key text formats of that ecosystem, and tlog-checkpoint v1.0 bodies.
//
// Formats (see docs/formats.md for worked examples):
//   verifier key:  NAME+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>
//   signer key:    PRIVATE+KEY+NAME+<8 hex key id>+<base64(0x01 || 32-byte seed)>
//   key id:        first 4 bytes (big-endian) of SHA-256(NAME || 0x0A || 0x01 || public key)
//   signed note:   TEXT (non-empty, ends in '\n') || '\n' || one or more lines
//                  "— NAME base64(4-byte key id || signature over TEXT)\n" (U+2014 EM DASH, space)
//   checkpoint:    TEXT = origin '\n' decimal size '\n' base64(root) '\n' [extension lines]
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/signing.h"
#include "ledger/status.h"

namespace crypto {

// The algorithm byte that prefixes Ed25519 keys in note key formats.
inline constexpr std::uint8_t kAlgorithmEd25519 = 0x01;

std::uint32_t KeyId(std::string_view name, const PublicKey& key);

struct VerifierKey {
  std::string name;
  std::uint32_t key_id = 0;
  PublicKey key{};
};

struct NamedSecretKey {
  std::string name;
  SecretKey key;
};

// A key name is non-empty, has no '+', no whitespace and no Unicode space (C2SP signed-note).
bool IsValidKeyName(std::string_view name);

std::string FormatVerifierKey(std::string_view name, const PublicKey& key);
// Errors: kInvalidArgument naming what is wrong (shape, base64, algorithm byte, key id mismatch).
ledger::Result<VerifierKey> ParseVerifierKey(std::string_view text);

// The secret key text. The returned string holds secret bytes: callers wipe it after use.
std::string FormatSignerKey(std::string_view name, const SecretKey& key);
ledger::Result<NamedSecretKey> ParseSignerKey(std::string_view text);

// Writes the signer key to `path` (created with mode 0600, refusing to overwrite) and the verifier
// key to `path` + ".pub" (mode 0644). Each file holds one line ending in '\n'.
ledger::Status WriteKeyFiles(const std::string& path, std::string_view name, const SecretKey& key);
// Reads a signer key file. kInvalidArgument if the file is group- or world-readable (it is
// refused, not read), kNotFound if missing, kInvalidArgument if its text does not parse.
ledger::Result<NamedSecretKey> ReadSignerKeyFile(const std::string& path);
// Reads a verifier key file (surrounding whitespace ignored).
ledger::Result<VerifierKey> ReadVerifierKeyFile(const std::string& path);

// Signs `text` (must be non-empty and end in '\n') as a note: returns the full note text.
std::string SignNote(std::string_view text, std::string_view name, const SecretKey& key);

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::string signature;  // Raw signature bytes (64 for Ed25519).
};

struct ParsedNote {
  std::string text;  // Everything the signatures cover, ending in '\n'.
  std::vector<NoteSignature> signatures;
};

// Splits a note into text and signature lines. kMalformed on any deviation from the grammar.
ledger::Result<ParsedNote> ParseNote(std::string_view note);

// Parses `note` and checks that it carries a valid signature by `verifier` (matched by name and
// key id; other signatures are ignored). Returns the signed text. kBadSignature if a line by this
// key is present but does not verify, kUnknownSigner if no line is by this key.
ledger::Result<std::string> OpenNote(std::string_view note, const VerifierKey& verifier);

// A tlog-checkpoint v1.0 body.
struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // Optional extra lines, each without its '\n'.
};

std::string FormatCheckpoint(const Checkpoint& checkpoint);
// kMalformed on: missing lines, empty origin, a size that is not canonical decimal (no sign, no
// leading zero unless "0"), a root that is not base64 of 32 bytes, or an empty extension line.
ledger::Result<Checkpoint> ParseCheckpoint(std::string_view text);

}  // namespace crypto
