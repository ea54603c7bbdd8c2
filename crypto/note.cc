#include "crypto/note.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

namespace crypto {
namespace {

using ledger::Code;
using ledger::Result;
using ledger::Status;

// A key line is about 60 bytes plus the key name; 4 KiB admits any sensible name and bounds the
// read (and the buffer that holds secret bytes) to one small stack array.
constexpr std::size_t kKeyFileBytesMax = 4096;
// C2SP signed-note: verifiers must accept at least 16 signatures and should bound the count; 100
// is the Go implementation's bound, so any note it accepts, we accept.
constexpr std::size_t kNoteSignaturesMax = 100;
static_assert(kNoteSignaturesMax >= 16, "signed-note requires accepting 16 signatures");

constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
constexpr std::string_view kSignatureLinePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space.
constexpr std::size_t kKeyIdBytes = 4;
constexpr std::size_t kKeyIdHexDigits = 2 * kKeyIdBytes;

// ---------------------------------------------------------------------------------------------
// Text rules shared by key names, note texts and checkpoints.

// Decodes the UTF-8 sequence at the start of non-empty `text` into *rune. Returns its length, or
// 0 if it is not well-formed UTF-8 (truncated, overlong, a surrogate or past U+10FFFF).
std::size_t DecodeRune(std::string_view text, char32_t* rune) {
  assert(!text.empty());
  const auto byte = [text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    *rune = lead;
    return 1;
  }
  std::size_t length = 0;
  char32_t value = 0;
  char32_t smallest = 0;  // The smallest value that needs `length` bytes (overlong check).
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, smallest = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < smallest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *rune = value;
  return length;
}

// Unicode White_Space, the set Go's unicode.IsSpace (and so the reference note code) uses.
bool IsUnicodeSpace(char32_t rune) {
  switch (rune) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return rune >= 0x2000 && rune <= 0x200A;
  }
}

// Calls `accept` on each rune; false if the text is not UTF-8 or `accept` refuses a rune.
template <typename Accept>
bool AllRunes(std::string_view text, Accept accept) {
  while (!text.empty()) {
    char32_t rune = 0;
    std::size_t length = DecodeRune(text, &rune);
    if (length == 0 || !accept(rune)) return false;
    text.remove_prefix(length);
  }
  return true;
}

// signed-note: "MUST be valid UTF-8 and MUST NOT contain any ASCII control characters (those
// below U+0020) other than newline."
bool IsValidNoteText(std::string_view text) {
  return AllRunes(text, [](char32_t rune) { return rune >= 0x20 || rune == '\n'; });
}

std::string_view TrimAsciiSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

template <std::size_t N>
std::string_view AsText(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

// ---------------------------------------------------------------------------------------------
// Key ids and key text.

std::array<std::uint8_t, kKeyIdBytes> KeyIdBytes(std::uint32_t key_id) {
  return {static_cast<std::uint8_t>(key_id >> 24), static_cast<std::uint8_t>(key_id >> 16),
          static_cast<std::uint8_t>(key_id >> 8), static_cast<std::uint8_t>(key_id)};
}

std::uint32_t KeyIdFromBytes(std::string_view bytes) {
  assert(bytes.size() >= kKeyIdBytes);
  std::uint32_t key_id = 0;
  for (std::size_t i = 0; i < kKeyIdBytes; ++i) {
    key_id = (key_id << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return key_id;
}

std::optional<std::uint32_t> ParseKeyIdHex(std::string_view text) {
  if (text.size() != kKeyIdHexDigits) return std::nullopt;
  std::optional<std::string> bytes = HexDecode(text);
  if (!bytes) return std::nullopt;
  return KeyIdFromBytes(*bytes);
}

Status InvalidKey(std::string_view what, std::string_view problem) {
  return Status(Code::kInvalidArgument, std::string(what) + ": " + std::string(problem));
}

// The fields of NAME+KEYID+BASE64 common to verifier and signer keys. `key` is the decoded
// base64: the algorithm byte and the key bytes (secret for a signer key: the caller wipes it).
struct KeyText {
  std::string name;
  std::uint32_t key_id = 0;
  std::string key;
};

// Splits at the first two '+' only: the base64 alphabet itself contains '+'. Error messages
// describe the problem and never echo the text, which may be secret.
Result<KeyText> ParseKeyText(std::string_view text, std::string_view what) {
  std::size_t name_end = text.find('+');
  if (name_end == std::string_view::npos) return InvalidKey(what, "not of the form NAME+ID+KEY");
  std::size_t id_end = text.find('+', name_end + 1);
  if (id_end == std::string_view::npos) return InvalidKey(what, "not of the form NAME+ID+KEY");
  std::string_view name = text.substr(0, name_end);
  std::string_view id_hex = text.substr(name_end + 1, id_end - name_end - 1);
  std::string_view key_base64 = text.substr(id_end + 1);
  if (!IsValidKeyName(name)) return InvalidKey(what, "invalid key name");
  std::optional<std::uint32_t> key_id = ParseKeyIdHex(id_hex);
  if (!key_id) return InvalidKey(what, "key id is not 8 lower-case hex digits");
  std::optional<std::string> key = Base64Decode(key_base64);
  if (!key) return InvalidKey(what, "key is not valid base64");
  if (key->empty()) return InvalidKey(what, "key is empty");
  if (static_cast<std::uint8_t>((*key)[0]) != kAlgorithmEd25519) {
    Wipe(key->data(), key->size());
    return InvalidKey(what, "unknown key algorithm (only 0x01, Ed25519, is supported)");
  }
  if (key->size() != 1 + kPublicKeyBytes) {
    Wipe(key->data(), key->size());
    return InvalidKey(what, "Ed25519 key is not 32 bytes");
  }
  return KeyText{std::string(name), *key_id, std::move(*key)};
}

std::string FormatKeyText(std::string_view prefix, std::string_view name, std::uint32_t key_id,
                          std::string_view key_bytes) {
  assert(IsValidKeyName(name));
  std::array<std::uint8_t, 1 + kPublicKeyBytes> encoded;
  static_assert(kPublicKeyBytes == kSeedBytes, "one buffer serves both key kinds");
  assert(key_bytes.size() == kPublicKeyBytes);
  encoded[0] = kAlgorithmEd25519;
  std::copy(key_bytes.begin(), key_bytes.end(), encoded.begin() + 1);
  std::string key_base64 = Base64Encode(AsText(encoded));
  const std::string id_hex = HexEncode(AsText(KeyIdBytes(key_id)));
  // Sized once so the text (secret for a signer key) is never copied by a reallocation.
  std::string text;
  text.reserve(prefix.size() + name.size() + id_hex.size() + key_base64.size() + 2);
  text.append(prefix).append(name).append("+").append(id_hex).append("+").append(key_base64);
  Wipe(encoded.data(), encoded.size());
  Wipe(key_base64.data(), key_base64.size());
  return text;
}

// ---------------------------------------------------------------------------------------------
// Key files.

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now so that a close error (possible on network file systems) is reported.
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status IoError(std::string_view action, const std::string& path, int error) {
  return Status(Code::kIOError, std::string(action) + " " + path + ": " +
                                    std::system_category().message(error));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return IoError("write", path, written < 0 ? errno : EIO);
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::Ok();
}

// Sets the exact mode (umask cannot widen it, and fchmod undoes any narrowing), writes `line`
// and its '\n' (separately, so the secret text is never copied to append one) and syncs.
Status WriteOpenKeyFile(FileDescriptor* fd, const std::string& path, std::string_view line,
                        mode_t mode) {
  if (::fchmod(fd->get(), mode) != 0) return IoError("chmod", path, errno);
  Status status = WriteAll(fd->get(), line, path);
  if (status.ok()) status = WriteAll(fd->get(), "\n", path);
  if (!status.ok()) return status;
  if (::fsync(fd->get()) != 0) return IoError("fsync", path, errno);
  if (fd->Close() != 0) return IoError("close", path, errno);
  return Status::Ok();
}

// Creates `path` holding `line`. With O_EXCL in `flags` an existing file is refused, not
// replaced, and a file this call created but could not complete is removed so a retry works.
Status WriteKeyLine(const std::string& path, std::string_view line, mode_t mode, int flags) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return Status(Code::kInvalidArgument, path + " already exists; refusing to overwrite a key");
    }
    return IoError("create", path, errno);
  }
  Status status = WriteOpenKeyFile(&fd, path, line, mode);
  if (!status.ok() && (flags & O_EXCL) != 0) ::unlink(path.c_str());
  return status;
}

// Reads at most kKeyFileBytesMax bytes of an open file into `buffer`; *length is the count.
template <std::size_t N>
Status ReadBounded(int fd, const std::string& path, std::array<char, N>* buffer,
                   std::size_t* length) {
  static_assert(N > kKeyFileBytesMax, "the buffer must detect an over-long file");
  *length = 0;
  while (*length < N) {
    ssize_t got = ::read(fd, buffer->data() + *length, N - *length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError("read", path, errno);
    if (got == 0) break;
    *length += static_cast<std::size_t>(got);
  }
  if (*length > kKeyFileBytesMax) {
    return Status(Code::kInvalidArgument, path + " is too large to be a key file");
  }
  return Status::Ok();
}

Status OpenForRead(const std::string& path, int* fd) {
  *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (*fd >= 0) return Status::Ok();
  if (errno == ENOENT) return Status(Code::kNotFound, path + ": no such key file");
  return IoError("open", path, errno);
}

// Checks the open file before a byte of it is read: a secret key others can read is treated as
// leaked, and refusing it forces the operator to notice (as ssh does).
Status CheckSecretFileMode(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return IoError("stat", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return Status(Code::kInvalidArgument, path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    return Status(Code::kInvalidArgument,
                  path + " is group- or world-readable; chmod 600 " + path);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Notes.

std::string SignatureLine(std::string_view name, std::uint32_t key_id,
                          std::string_view signature) {
  std::string raw(AsText(KeyIdBytes(key_id)));
  raw.append(signature);
  std::string line(kSignatureLinePrefix);
  line.append(name).append(" ").append(Base64Encode(raw)).append("\n");
  return line;
}

Status Malformed(std::string_view problem) {
  return Status(Code::kMalformed, "note: " + std::string(problem));
}

// Parses one signature line (without its '\n').
Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (line.substr(0, kSignatureLinePrefix.size()) != kSignatureLinePrefix) {
    return Malformed("a line after the blank line is not a signature line");
  }
  line.remove_prefix(kSignatureLinePrefix.size());
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return Malformed("signature line has no signature");
  std::string_view name = line.substr(0, space);
  std::string_view signature_base64 = line.substr(space + 1);
  if (!IsValidKeyName(name)) return Malformed("signature line has an invalid key name");
  std::optional<std::string> raw = Base64Decode(signature_base64);
  // A key id and at least one signature byte.
  if (!raw || raw->size() <= kKeyIdBytes) return Malformed("signature is not valid base64");
  return NoteSignature{std::string(name), KeyIdFromBytes(*raw), raw->substr(kKeyIdBytes)};
}

// ---------------------------------------------------------------------------------------------
// Checkpoints.

Status BadCheckpoint(std::string_view problem) {
  return Status(Code::kMalformed, "checkpoint: " + std::string(problem));
}

// tlog-checkpoint: "ASCII decimal ... with no leading zeroes (unless the tree is empty)".
std::optional<std::uint64_t> ParseCanonicalDecimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return std::nullopt;  // Would overflow.
    value = value * 10 + digit;
  }
  return value;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return lines;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::uint32_t KeyId(std::string_view name, const PublicKey& key) {
  const char header[] = {'\n', static_cast<char>(kAlgorithmEd25519)};
  Sha256Builder builder;
  builder.Update(name).Update(std::string_view(header, sizeof(header))).Update(AsBytes(key));
  const Hash hash = builder.Finish();
  return KeyIdFromBytes(AsBytes(hash));
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  // Control characters are not spaces, but a name holding one could never appear in a note.
  return AllRunes(name, [](char32_t rune) {
    return rune != '+' && rune >= 0x20 && !IsUnicodeSpace(rune);
  });
}

std::string FormatVerifierKey(std::string_view name, const PublicKey& key) {
  return FormatKeyText("", name, KeyId(name, key), AsBytes(key));
}

ledger::Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  Result<KeyText> parsed = ParseKeyText(text, "verifier key");
  if (!parsed.ok()) return parsed.status();
  VerifierKey verifier;
  verifier.key = *PublicKeyFromBytes(std::string_view(parsed->key).substr(1));
  if (KeyId(parsed->name, verifier.key) != parsed->key_id) {
    return InvalidKey("verifier key", "key id does not match the name and key");
  }
  verifier.name = std::move(parsed->name);
  verifier.key_id = parsed->key_id;
  return verifier;
}

std::string FormatSignerKey(std::string_view name, const SecretKey& key) {
  return FormatKeyText(kSignerKeyPrefix, name, KeyId(name, key.public_key()), key.seed());
}

ledger::Result<NamedSecretKey> ParseSignerKey(std::string_view text) {
  if (text.substr(0, kSignerKeyPrefix.size()) != kSignerKeyPrefix) {
    return InvalidKey("signer key", "does not start with PRIVATE+KEY+");
  }
  Result<KeyText> parsed = ParseKeyText(text.substr(kSignerKeyPrefix.size()), "signer key");
  if (!parsed.ok()) return parsed.status();
  std::optional<SecretKey> key = SecretKey::FromSeed(std::string_view(parsed->key).substr(1));
  Wipe(parsed->key.data(), parsed->key.size());
  assert(key.has_value());  // ParseKeyText checked the length.
  // The id covers the public key, so it can only be checked once the key pair is derived.
  if (KeyId(parsed->name, key->public_key()) != parsed->key_id) {
    return InvalidKey("signer key", "key id does not match the name and key");
  }
  return NamedSecretKey{std::move(parsed->name), std::move(*key)};
}

ledger::Status WriteKeyFiles(const std::string& path, std::string_view name,
                             const SecretKey& key) {
  if (!IsValidKeyName(name)) {
    return Status(Code::kInvalidArgument,
                  "key name must be non-empty UTF-8 without spaces, '+' or control characters");
  }
  std::string secret_text = FormatSignerKey(name, key);
  Status status = WriteKeyLine(path, secret_text, 0600, O_EXCL);
  Wipe(secret_text.data(), secret_text.size());
  if (!status.ok()) return status;
  // The verifier key is public and derived from the secret just written, so a stale .pub (whose
  // secret is gone) is replaced rather than left to disagree with it.
  const std::string public_path = path + ".pub";
  status = WriteKeyLine(public_path, FormatVerifierKey(name, key.public_key()), 0644, O_TRUNC);
  if (!status.ok()) {
    // We created the secret file (O_EXCL); removing it lets the operator simply retry.
    ::unlink(path.c_str());
    return status;
  }
  return Status::Ok();
}

ledger::Result<NamedSecretKey> ReadSignerKeyFile(const std::string& path) {
  int raw_fd = -1;
  Status status = OpenForRead(path, &raw_fd);
  if (!status.ok()) return status;
  FileDescriptor fd(raw_fd);
  status = CheckSecretFileMode(fd.get(), path);
  if (!status.ok()) return status;
  std::array<char, kKeyFileBytesMax + 1> buffer;
  std::size_t length = 0;
  status = ReadBounded(fd.get(), path, &buffer, &length);
  if (!status.ok()) {
    Wipe(buffer.data(), buffer.size());
    return status;
  }
  Result<NamedSecretKey> key =
      ParseSignerKey(TrimAsciiSpace(std::string_view(buffer.data(), length)));
  Wipe(buffer.data(), buffer.size());
  if (!key.ok()) {
    return Status(key.status().code(), path + ": " + key.status().message());
  }
  return key;
}

ledger::Result<VerifierKey> ReadVerifierKeyFile(const std::string& path) {
  int raw_fd = -1;
  Status status = OpenForRead(path, &raw_fd);
  if (!status.ok()) return status;
  FileDescriptor fd(raw_fd);
  std::array<char, kKeyFileBytesMax + 1> buffer;
  std::size_t length = 0;
  status = ReadBounded(fd.get(), path, &buffer, &length);
  if (!status.ok()) return status;
  Result<VerifierKey> key =
      ParseVerifierKey(TrimAsciiSpace(std::string_view(buffer.data(), length)));
  if (!key.ok()) return Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

std::string SignNote(std::string_view text, std::string_view name, const SecretKey& key) {
  // Signing text that ParseNote would reject is a caller bug, not bad input.
  assert(!text.empty() && text.back() == '\n');
  assert(IsValidNoteText(text));
  assert(IsValidKeyName(name));
  const Signature signature = key.Sign(text);
  const std::string line = SignatureLine(name, KeyId(name, key.public_key()), AsBytes(signature));
  std::string note;
  note.reserve(text.size() + 1 + line.size());
  note.append(text).append("\n").append(line);
  return note;
}

ledger::Result<ParsedNote> ParseNote(std::string_view note) {
  if (!IsValidNoteText(note)) return Malformed("not UTF-8 text without control characters");
  // The text ends at the last blank line: the text itself may contain blank lines, signature
  // lines never do.
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line before signatures");
  ParsedNote parsed;
  parsed.text = std::string(note.substr(0, split + 1));
  std::string_view lines = note.substr(split + 2);
  if (lines.empty()) return Malformed("no signature lines");
  if (lines.back() != '\n') return Malformed("last signature line does not end in a newline");
  while (!lines.empty()) {
    std::size_t end = lines.find('\n');
    assert(end != std::string_view::npos);  // `lines` ends in '\n'.
    if (parsed.signatures.size() == kNoteSignaturesMax) return Malformed("too many signatures");
    Result<NoteSignature> signature = ParseSignatureLine(lines.substr(0, end));
    if (!signature.ok()) return signature.status();
    parsed.signatures.push_back(std::move(signature).value());
    lines.remove_prefix(end + 1);
  }
  assert(!parsed.text.empty() && parsed.text.back() == '\n');
  return parsed;
}

ledger::Result<std::string> OpenNote(std::string_view note, const VerifierKey& verifier) {
  Result<ParsedNote> parsed = ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  bool signed_by_verifier = false;
  for (const NoteSignature& signature : parsed->signatures) {
    // Lines by other keys (witnesses, rotated keys) are ignored, as signed-note requires.
    if (signature.name != verifier.name || signature.key_id != verifier.key_id) continue;
    // Every line by this key must verify: a bad one means the note was tampered with.
    if (!Verify(AsBytes(verifier.key), parsed->text, signature.signature)) {
      return Status(Code::kBadSignature, "note: signature by " + verifier.name +
                                             " does not verify over the note text");
    }
    signed_by_verifier = true;
  }
  if (!signed_by_verifier) {
    return Status(Code::kUnknownSigner, "note: no signature by " + verifier.name + "+" +
                                            HexEncode(AsText(KeyIdBytes(verifier.key_id))));
  }
  return std::move(parsed->text);
}

std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  assert(!checkpoint.origin.empty());
  assert(checkpoint.origin.find('\n') == std::string::npos);
  std::string text = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                     Base64Encode(AsBytes(checkpoint.root)) + "\n";
  for (const std::string& extension : checkpoint.extensions) {
    assert(!extension.empty() && extension.find('\n') == std::string::npos);
    text.append(extension).append("\n");
  }
  assert(IsValidNoteText(text));  // The body must be signable as a note.
  return text;
}

ledger::Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (!IsValidNoteText(text)) return BadCheckpoint("not UTF-8 text without control characters");
  if (text.empty() || text.back() != '\n') return BadCheckpoint("does not end in a newline");
  text.remove_suffix(1);
  std::vector<std::string_view> lines = SplitLines(text);
  if (lines.size() < 3) return BadCheckpoint("fewer than three lines");
  Checkpoint checkpoint;
  if (lines[0].empty()) return BadCheckpoint("empty origin line");
  checkpoint.origin = std::string(lines[0]);
  std::optional<std::uint64_t> size = ParseCanonicalDecimal(lines[1]);
  if (!size) return BadCheckpoint("tree size is not canonical decimal");
  checkpoint.size = *size;
  std::optional<std::string> root_bytes = Base64Decode(lines[2]);
  std::optional<Hash> root = root_bytes ? HashFromBytes(*root_bytes) : std::nullopt;
  if (!root) return BadCheckpoint("root hash is not base64 of 32 bytes");
  checkpoint.root = *root;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return BadCheckpoint("empty extension line");
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

}  // namespace crypto
