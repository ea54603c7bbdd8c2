#include "tools/witness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "crypto/merkle.h"
#include "ledger/constants.h"

namespace tools {
namespace {

using ledger::Code;
using ledger::Result;
using ledger::Status;

WitnessAnswer Answer(int status, std::string body) {
  return WitnessAnswer{status, "text/plain; charset=utf-8", std::move(body)};
}

// tlog-witness: "ASCII decimal with no leading zeroes (unless the size is zero ...)".
std::optional<std::uint64_t> ParseSize(std::string_view text) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

struct Request {
  std::uint64_t old_size = 0;
  std::vector<crypto::Hash> proof;
  std::string_view note;
};

// Splits the body into the old size, the proof lines and the note; nullopt if malformed.
std::optional<Request> ParseRequest(std::string_view body) {
  Request request;
  std::size_t end = body.find('\n');
  if (end == std::string_view::npos || body.substr(0, 4) != "old ") return std::nullopt;
  std::optional<std::uint64_t> old_size = ParseSize(body.substr(4, end - 4));
  if (!old_size) return std::nullopt;
  request.old_size = *old_size;
  body.remove_prefix(end + 1);
  while (true) {
    end = body.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    if (end == 0) break;  // The blank line before the checkpoint.
    if (request.proof.size() == ledger::constants::witness_proof_hashes_max) return std::nullopt;
    std::optional<std::string> bytes = crypto::Base64Decode(body.substr(0, end));
    std::optional<crypto::Hash> hash = bytes ? crypto::HashFromBytes(*bytes) : std::nullopt;
    if (!hash) return std::nullopt;
    request.proof.push_back(*hash);
    body.remove_prefix(end + 1);
  }
  request.note = body.substr(1);
  return request;
}

Status IoError(std::string_view what, const std::string& path) {
  return Status(Code::kIOError, std::string(what) + " " + path + ": " + std::strerror(errno));
}

Status WriteFileDurably(const std::string& dir, const std::string& path, std::string_view data) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", temporary);
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status status = IoError("write", temporary);
      ::close(fd);
      return status;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status status = IoError("fsync", temporary);
    ::close(fd);
    return status;
  }
  if (::close(fd) != 0) return IoError("close", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return IoError("rename", path);
  // The rename itself is durable only once the directory is synced.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return IoError("open", dir);
  const int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  if (rc != 0) return IoError("fsync", dir);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Witness>> Witness::Open(std::string dir, std::string name,
                                               crypto::SecretKey key,
                                               std::vector<crypto::VerifierKey> logs) {
  if (!crypto::IsValidKeyName(name)) {
    return Status(Code::kInvalidArgument, "witness name is not a valid key name");
  }
  std::unique_ptr<Witness> witness(new Witness(std::move(dir), std::move(name), std::move(key)));
  for (crypto::VerifierKey& log_key : logs) {
    const std::string origin = log_key.name;
    if (witness->logs_.count(origin) != 0) {
      return Status(Code::kInvalidArgument, "two logs with origin " + origin);
    }
    Log log{std::move(log_key), 0, crypto::EmptyTreeHash()};
    const std::string path = witness->PathOf(origin);
    std::ifstream file(path, std::ios::binary);
    if (file) {
      std::ostringstream text;
      text << file.rdbuf();
      if (file.bad()) return IoError("read", path);
      Result<std::string> opened = crypto::OpenNote(text.str(), log.key);
      Result<crypto::Checkpoint> checkpoint =
          opened.ok() ? crypto::ParseCheckpoint(*opened)
                      : Result<crypto::Checkpoint>(opened.status());
      if (!checkpoint.ok() || checkpoint->origin != origin) {
        return Status(Code::kCorruption, path + " does not hold a checkpoint of " + origin);
      }
      log.size = checkpoint->size;
      log.root = checkpoint->root;
    } else if (errno != ENOENT) {
      return IoError("open", path);
    }
    witness->logs_.emplace(origin, std::move(log));
  }
  return witness;
}

std::string Witness::PathOf(std::string_view origin) const {
  // Origins hold '/' and other characters a file name cannot; their hash names the file.
  return dir_ + "/" + crypto::HexEncode(crypto::AsBytes(crypto::Sha256(origin))) + ".checkpoint";
}

std::string Witness::CosignerKeyText() const {
  return crypto::FormatCosignerKey(name_, key_.public_key());
}

WitnessAnswer Witness::AddCheckpoint(std::string_view body, std::uint64_t now_seconds) {
  std::optional<Request> request = ParseRequest(body);
  if (!request) return Answer(400, "malformed add-checkpoint body\n");
  Result<crypto::ParsedNote> note = crypto::ParseNote(request->note);
  if (!note.ok()) return Answer(400, "malformed checkpoint note\n");
  Result<crypto::Checkpoint> checkpoint = crypto::ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return Answer(400, "malformed checkpoint\n");
  // Check and persist under one lock: tlog-witness's rollback race cannot happen.
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = logs_.find(checkpoint->origin);
  if (it == logs_.end()) return Answer(404, "unknown log\n");
  Log& log = it->second;
  if (!crypto::OpenNote(request->note, log.key).ok()) {
    return Answer(403, "no valid signature by the log's key\n");
  }
  if (request->old_size > checkpoint->size) {
    return Answer(400, "old size exceeds the checkpoint's\n");
  }
  if (request->old_size != log.size) {
    return WitnessAnswer{409, "text/x.tlog.size", std::to_string(log.size) + "\n"};
  }
  if (request->old_size == checkpoint->size) {
    if (!crypto::ConstantTimeEqual(log.root, checkpoint->root)) {
      return Answer(409, "same size, different root\n");
    }
    if (!request->proof.empty()) return Answer(422, "proof between equal sizes must be empty\n");
  } else if (!crypto::VerifyConsistency(request->old_size, checkpoint->size, log.root,
                                        checkpoint->root, request->proof)) {
    return Answer(422, "consistency proof does not verify\n");
  }
  // Durable before the answer: a witness that forgot would cosign a fork after a crash.
  if (Status s = Persist(checkpoint->origin, request->note); !s.ok()) {
    return Answer(500, s.ToString() + "\n");
  }
  log.size = checkpoint->size;
  log.root = checkpoint->root;
  const std::uint64_t time = std::min(now_seconds, crypto::kCosignatureTimeMax);
  return Answer(200, crypto::Cosign(note->text, time, name_, key_));
}

Status Witness::Persist(std::string_view origin, std::string_view note) const {
  return WriteFileDurably(dir_, PathOf(origin), note);
}

}  // namespace tools
