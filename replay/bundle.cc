#include "replay/bundle.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace replay {

using ledger::Code;
using ledger::Status;

namespace {

std::string ThreeDigits(std::uint64_t n) {
  std::string text = std::to_string(n);
  return std::string(3 - text.size(), '0') + text;
}

std::string Range(std::uint64_t first, std::uint64_t count) {
  return "entries " + std::to_string(first) + " to " + std::to_string(first + count - 1);
}

Status WriteWholeFile(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) return Status(Code::kIOError, "cannot create " + path.parent_path().string() + ": " + error.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status(Code::kIOError, "cannot write " + path.string());
  return Status::Ok();
}

// The largest entry bundle: 256 entries of the largest size a 2-byte length allows.
constexpr std::uint64_t entry_bundle_bytes_max = bundle_tile_entries * (2 + bundle_entry_bytes_max);
// A checkpoint note is a few lines; a bundle's is refused beyond this, before it is read.
constexpr std::uint64_t checkpoint_note_bytes_max = 64 * 1024;

// The whole file, read only when it is at most `limit` bytes (else *too_large); nullopt if it
// cannot be read or is too large.
std::optional<std::string> ReadWholeFile(const std::string& path, std::uint64_t limit, bool* too_large) {
  *too_large = false;
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return std::nullopt;
  if (size > limit) {
    *too_large = true;
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

std::string Readme(const crypto::Checkpoint& checkpoint) {
  return "Offline audit bundle of the ledger '" + checkpoint.origin + "', " + std::to_string(checkpoint.size) +
         " entries.\n\n"
         "Format: a static C2SP tlog-tiles snapshot (https://c2sp.org/tlog-tiles), entries only.\n"
         "  checkpoint          the log's signed checkpoint (c2sp.org/tlog-checkpoint, c2sp.org/signed-note)\n"
         "  tile/entries/...    entry bundles of 256 entries (the last one partial, .p/W), each entry a\n"
         "                      2-byte big-endian length then a serialized ledger.v1.LogEntry, its RFC 6962 leaf\n"
         "  log.pub             the log's verifier key; informational only, verify with your own copy\n\n"
         "Verify it with no server (docs/ledgerctl.md, docs/formats.md):\n"
         "  ledgerctl verify --bundle THIS-DIRECTORY --log-key YOUR-COPY-OF-log.pub [--since OLD-CHECKPOINT]\n";
}

// Writes every entry bundle of a log of `size` entries into `dir`.
Status WriteEntryBundles(const std::filesystem::path& dir, std::uint64_t size, const EntryFetcher& fetch) {
  std::vector<std::string> entries;
  for (std::uint64_t tile = 0; tile * bundle_tile_entries < size; ++tile) {
    const std::uint64_t first = tile * bundle_tile_entries;
    const std::uint64_t width = std::min(bundle_tile_entries, size - first);
    if (Status s = fetch(first, width, &entries); !s.ok()) return s;
    // The fetcher's contract: exactly the entries asked for.
    if (entries.size() != width) {
      return Status(Code::kIOError, "fetched " + std::to_string(entries.size()) + " of " + Range(first, width));
    }
    std::string bundle;
    for (std::uint64_t i = 0; i < width; ++i) {
      const std::string& entry = entries[i];
      if (entry.size() > bundle_entry_bytes_max) {
        return Status(Code::kTooLarge, "entry " + std::to_string(first + i) + " is " + std::to_string(entry.size()) +
                                           " bytes; a tlog-tiles entry bundle holds at most " +
                                           std::to_string(bundle_entry_bytes_max) + " bytes per entry");
      }
      bundle.push_back(static_cast<char>(entry.size() >> 8));
      bundle.push_back(static_cast<char>(entry.size() & 0xff));
      bundle.append(entry);
    }
    if (Status s = WriteWholeFile(dir / EntryBundlePath(tile, width), bundle); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

std::string EntryBundlePath(std::uint64_t tile_index, std::uint64_t width) {
  std::string encoded = ThreeDigits(tile_index % 1000);
  for (std::uint64_t n = tile_index / 1000; n > 0; n /= 1000) encoded = "x" + ThreeDigits(n % 1000) + "/" + encoded;
  std::string path = "tile/entries/" + encoded;
  if (width < bundle_tile_entries) path += ".p/" + std::to_string(width);
  return path;
}

ledger::Result<crypto::Checkpoint> UnverifiedCheckpoint(std::string_view note) {
  auto parsed = crypto::ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  return crypto::ParseCheckpoint(parsed->text);
}

Status WriteBundle(const std::string& out_dir, const std::string& checkpoint_note, const std::string& log_public_key,
                   const EntryFetcher& fetch) {
  std::error_code error;
  const std::filesystem::path out(out_dir);
  if (std::filesystem::symlink_status(out, error).type() != std::filesystem::file_type::not_found) {
    return Status(Code::kInvalidArgument, out_dir + " already exists; the export writes a new directory");
  }
  auto checkpoint = UnverifiedCheckpoint(checkpoint_note);
  if (!checkpoint.ok()) return Status(checkpoint.status().code(), "checkpoint: " + checkpoint.status().message());
  // A temporary directory beside the bundle, so the final rename stays on one file system.
  const std::filesystem::path parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  std::string pattern = (parent / ("." + out.filename().string() + ".partial-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status(Code::kIOError, "cannot create a temporary directory in " + parent.string() + ": " + std::strerror(errno));
  }
  const std::filesystem::path temp(pattern);
  Status status = WriteEntryBundles(temp, checkpoint->size, fetch);
  if (status.ok()) status = WriteWholeFile(temp / "checkpoint", checkpoint_note);
  if (status.ok()) status = WriteWholeFile(temp / "log.pub", log_public_key);
  if (status.ok()) status = WriteWholeFile(temp / "README", Readme(*checkpoint));
  if (status.ok()) {
    std::filesystem::permissions(temp, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                           std::filesystem::perms::others_exec,
                                 error);
    // rename(2) would replace an empty directory created meanwhile; refuse it instead.
    if (std::filesystem::exists(out, error)) {
      status = Status(Code::kInvalidArgument, out_dir + " already exists; the export writes a new directory");
    } else {
      std::filesystem::rename(temp, out, error);
      if (error) status = Status(Code::kIOError, "cannot rename " + temp.string() + " to " + out_dir + ": " + error.message());
    }
  }
  if (!status.ok()) std::filesystem::remove_all(temp, error);
  return status;
}

ledger::Result<std::unique_ptr<BundleReader>> BundleReader::Open(const std::string& dir) {
  bool too_large = false;
  auto note = ReadWholeFile(dir + "/checkpoint", checkpoint_note_bytes_max, &too_large);
  if (too_large) {
    return Status(Code::kTooLarge, dir + "/checkpoint is larger than " + std::to_string(checkpoint_note_bytes_max) +
                                       " bytes: not a checkpoint");
  }
  if (!note) return Status(Code::kNotFound, "cannot read " + dir + "/checkpoint");
  std::unique_ptr<BundleReader> reader(new BundleReader());
  reader->dir_ = dir;
  reader->checkpoint_ = std::move(*note);
  auto checkpoint = UnverifiedCheckpoint(reader->checkpoint_);
  if (checkpoint.ok()) reader->size_ = checkpoint->size;
  return reader;
}

Status BundleReader::Scan(std::uint64_t from,
                          const std::function<bool(std::uint64_t index, std::string_view bytes)>& visit) const {
  for (std::uint64_t tile = from / bundle_tile_entries; tile * bundle_tile_entries < size_; ++tile) {
    const std::uint64_t first = tile * bundle_tile_entries;
    const std::uint64_t width = std::min(bundle_tile_entries, size_ - first);
    const std::string path = EntryBundlePath(tile, width);
    bool too_large = false;
    auto bundle = ReadWholeFile(dir_ + "/" + path, entry_bundle_bytes_max, &too_large);
    if (too_large) {
      return Status(Code::kCorruption, "entry bundle " + path + " is larger than 256 entries of at most " +
                                           std::to_string(bundle_entry_bytes_max) + " bytes can be");
    }
    if (!bundle) return Status(Code::kCorruption, "entry bundle " + path + " (" + Range(first, width) + ") is missing");
    std::string_view rest(*bundle);
    for (std::uint64_t index = first; index < first + width; ++index) {
      std::size_t length = 0;
      if (rest.size() >= 2) {
        length = (static_cast<std::size_t>(static_cast<unsigned char>(rest[0])) << 8) |
                 static_cast<unsigned char>(rest[1]);
      }
      if (rest.size() < 2 || rest.size() - 2 < length) {
        return Status(Code::kCorruption, "entry bundle " + path + " is cut short: entry " + std::to_string(index) +
                                             " is incomplete (" + std::to_string(rest.size()) + " bytes left)");
      }
      const std::string_view entry = rest.substr(2, length);
      rest.remove_prefix(2 + length);
      if (index >= from && !visit(index, entry)) return Status::Ok();
    }
    if (!rest.empty()) {
      return Status(Code::kCorruption, "entry bundle " + path + " has " + std::to_string(rest.size()) +
                                           " bytes after its " + std::to_string(width) + " entries");
    }
  }
  return Status::Ok();
}

}  // namespace replay
