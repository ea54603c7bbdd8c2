// The offline audit bundle: everything an auditor needs to verify a log with no server, laid out
// as a static C2SP tlog-tiles snapshot (https://c2sp.org/tlog-tiles) so that standard tools read
// it too. docs/formats.md ("Audit bundle") specifies it with a worked example:
//
//   BUNDLE/checkpoint                  the signed checkpoint note, exactly as the ledger stores it
//   BUNDLE/tile/entries/<N>[.p/<W>]    entry bundles: entries N*256 .. N*256+255 (W of them in the
//                                      last, partial one), each as a 2-byte big-endian length then
//                                      its exact stored bytes (a serialized ledger.v1.LogEntry, the
//                                      entry's RFC 6962 leaf)
//   BUNDLE/log.pub                     the log's verifier key (informational: an auditor verifies
//                                      with their own copy)
//   BUNDLE/README                      names the format
//
// A bundle holds exactly the entries its checkpoint covers. WriteBundle writes one; BundleReader
// reads one as the verifier's EntrySource (replay/verifier.h). No hash tiles are written: the
// verifier recomputes every hash from the entries.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/note.h"
#include "ledger/status.h"
#include "replay/verifier.h"

namespace replay {

// tlog-tiles fixes both: 256 entries per full entry bundle, and a 16-bit length before each.
inline constexpr std::uint64_t bundle_tile_entries = 256;
inline constexpr std::size_t bundle_entry_bytes_max = 65'535;

// "tile/entries/<N>" for tile `tile_index` holding `width` (1..256) entries, with ".p/<W>" when
// width < 256; N in the tlog-tiles path encoding (1234067 -> "x001/x234/067").
std::string EntryBundlePath(std::uint64_t tile_index, std::uint64_t width);

// The checkpoint body of a note, read without checking any signature (to know which entries a
// bundle holds; the verifier checks the signature). kMalformed if the note or body does not parse.
ledger::Result<crypto::Checkpoint> UnverifiedCheckpoint(std::string_view note);

// Fetches entries [first, first + count) into `entries` (cleared first), in index order.
using EntryFetcher =
    std::function<ledger::Status(std::uint64_t first, std::uint64_t count, std::vector<std::string>* entries)>;

// Writes a bundle of the log whose checkpoint note is `checkpoint_note`, holding entries 0 ..
// size-1 as `fetch` gives them, and `log_public_key` (the verifier key line) as log.pub. Writes
// into a fresh temporary directory beside `out_dir` and renames it to `out_dir` at the end, so a
// failed export leaves nothing behind. Errors: kInvalidArgument if `out_dir` exists; kMalformed if
// the checkpoint does not parse; kTooLarge if an entry exceeds bundle_entry_bytes_max (naming its
// index); kIOError if a file cannot be written; and whatever `fetch` returns.
ledger::Status WriteBundle(const std::string& out_dir, const std::string& checkpoint_note,
                           const std::string& log_public_key, const EntryFetcher& fetch);

// A bundle directory as the verifier's entry source. Reads one entry bundle at a time. Not
// synchronised: one thread at a time.
class BundleReader final : public EntrySource {
 public:
  // Errors: kNotFound if BUNDLE/checkpoint cannot be read, kTooLarge if it is over 64 KiB (no
  // checkpoint is; the file is not read). A checkpoint that does not parse is
  // left to the verifier to report (the reader then holds no entries).
  static ledger::Result<std::unique_ptr<BundleReader>> Open(const std::string& dir);

  const std::string& checkpoint() const override { return checkpoint_; }
  std::optional<std::string> origin() const override { return std::nullopt; }
  // Visits the entries of the entry bundles the checkpoint's size calls for. kCorruption, after
  // visiting the entries before it, for a missing entry bundle, one cut short, one with bytes
  // after its last entry, or one larger than 256 entries of bundle_entry_bytes_max could be (not
  // read: memory stays bounded by one entry bundle, about 16 MiB).
  ledger::Status Scan(std::uint64_t from,
                      const std::function<bool(std::uint64_t index, std::string_view bytes)>& visit) const override;

 private:
  BundleReader() = default;
  std::string dir_;
  std::string checkpoint_;
  std::uint64_t size_ = 0;
};

}  // namespace replay
