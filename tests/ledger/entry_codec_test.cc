#include "ledger/entry_codec.h"

#include <gtest/gtest.h>

#include "ledger/constants.h"
#include "ledger/ledger.pb.h"

namespace ledger {
namespace {

std::string ProtobufBytes(std::uint64_t index, const crypto::Hash& previous, std::int64_t ms,
                          const std::string& signed_event) {
  v1::LogEntry entry;
  entry.set_index(index);
  entry.set_previous_hash(std::string(crypto::AsBytes(previous)));
  entry.set_sequenced_ms(ms);
  v1::SignedEvent envelope;
  EXPECT_TRUE(envelope.ParseFromString(signed_event));
  *entry.mutable_signed_event() = envelope;
  return entry.SerializeAsString();
}

std::string Envelope() {
  v1::SignedEvent envelope;
  envelope.set_event(std::string(300, 'e'));
  envelope.set_public_key(std::string(32, 'k'));
  envelope.set_signature(std::string(64, 's'));
  return envelope.SerializeAsString();
}

TEST(EntryCodecTest, MatchesProtobufForGenesis) {
  crypto::Hash zeros{};
  EXPECT_EQ(EncodeLogEntry(0, zeros, 1735689600000, Envelope()),
            ProtobufBytes(0, zeros, 1735689600000, Envelope()));
}

TEST(EntryCodecTest, MatchesProtobufForLargeIndex) {
  crypto::Hash previous = crypto::Sha256("previous");
  EXPECT_EQ(EncodeLogEntry(10'000'000'000ull, previous, 1735689600123, Envelope()),
            ProtobufBytes(10'000'000'000ull, previous, 1735689600123, Envelope()));
}

TEST(EntryCodecTest, MatchesProtobufForNegativeTime) {
  crypto::Hash previous = crypto::Sha256("previous");
  EXPECT_EQ(EncodeLogEntry(7, previous, -1, Envelope()), ProtobufBytes(7, previous, -1, Envelope()));
}

TEST(EntryCodecTest, HeadThenEnvelopeIsTheWholeEntry) {
  const crypto::Hash previous = crypto::Sha256("previous");
  const std::string envelope = Envelope();
  EXPECT_EQ(EncodeLogEntryHead(42, previous, 1735689600123, envelope.size()) + envelope,
            EncodeLogEntry(42, previous, 1735689600123, envelope));
}

// The largest entry the ledger can store: an event of event_bytes_max in a roster with the
// largest header, leaf index and audit path, at the largest index and a negative time (10-byte
// varints). It must fit a tlog-tiles entry bundle's 2-byte length, as constants.h asserts.
TEST(EntryCodecTest, LargestStoredEntryFitsAnEntryBundle) {
  v1::SignedEvent envelope;
  envelope.set_event(std::string(constants::event_bytes_max, 'e'));
  envelope.set_public_key(std::string(32, 'k'));
  v1::RosterProof* proof = envelope.mutable_roster();
  proof->set_header(std::string(constants::roster_header_bytes_max, 'h'));
  proof->set_signature(std::string(64, 's'));
  proof->set_leaf_index(constants::roster_events_max - 1);
  for (std::size_t i = 0; i < constants::roster_audit_path_max; ++i) proof->add_audit_path(std::string(32, 'p'));
  const std::string entry = EncodeLogEntry(UINT64_MAX, crypto::Hash{}, -1, envelope.SerializeAsString());
  EXPECT_EQ(entry.size(), constants::event_bytes_max + constants::entry_overhead_bytes_max);
  EXPECT_LE(entry.size(), constants::entry_bytes_max);
}

v1::SignedEvent RosterEnvelope(std::uint64_t leaf_index, std::size_t path_hashes) {
  v1::SignedEvent envelope;
  envelope.set_event(std::string(300, 'e'));
  envelope.set_public_key(std::string(32, 'k'));
  v1::RosterProof* proof = envelope.mutable_roster();
  proof->set_header(std::string(200, 'h'));
  proof->set_signature(std::string(64, 's'));
  proof->set_leaf_index(leaf_index);
  for (std::size_t i = 0; i < path_hashes; ++i) proof->add_audit_path(std::string(32, static_cast<char>('a' + i)));
  return envelope;
}

std::vector<crypto::Hash> Path(const v1::SignedEvent& envelope) {
  std::vector<crypto::Hash> path;
  for (const std::string& bytes : envelope.roster().audit_path()) path.push_back(*crypto::HashFromBytes(bytes));
  return path;
}

std::string AppendRoster(const v1::SignedEvent& envelope, std::size_t* event_at) {
  std::string out = "prefix";
  *event_at = AppendRosterEventEnvelope(envelope.event(), envelope.public_key(), envelope.roster().header(),
                                        envelope.roster().signature(), envelope.roster().leaf_index(),
                                        Path(envelope), &out);
  return out;
}

TEST(EntryCodecTest, SignedEventEnvelopeMatchesProtobuf) {
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(Envelope()));
  std::string out = "prefix";
  const std::size_t event_at =
      AppendSignedEventEnvelope(envelope.event(), envelope.public_key(), envelope.signature(), &out);
  EXPECT_EQ(out, "prefix" + Envelope());
  EXPECT_EQ(out.substr(event_at, envelope.event().size()), envelope.event());
}

TEST(EntryCodecTest, FirstRosterEventEnvelopeMatchesProtobuf) {
  const v1::SignedEvent envelope = RosterEnvelope(0, 14);  // leaf_index 0 is omitted.
  std::size_t event_at = 0;
  EXPECT_EQ(AppendRoster(envelope, &event_at), "prefix" + envelope.SerializeAsString());
  EXPECT_EQ(event_at, std::string("prefix").size() + 3);  // Tag and a 2-byte length of 300.
}

TEST(EntryCodecTest, LaterRosterEventEnvelopeMatchesProtobuf) {
  const v1::SignedEvent envelope = RosterEnvelope(9999, 14);
  std::size_t event_at = 0;
  EXPECT_EQ(AppendRoster(envelope, &event_at), "prefix" + envelope.SerializeAsString());
}

TEST(EntryCodecTest, OneEventRosterEnvelopeHasNoPath) {
  const v1::SignedEvent envelope = RosterEnvelope(0, 0);
  std::size_t event_at = 0;
  EXPECT_EQ(AppendRoster(envelope, &event_at), "prefix" + envelope.SerializeAsString());
}

TEST(EntryCodecTest, RosterEnvelopeOverheadBoundsTheLargestEnvelope) {
  v1::SignedEvent envelope = RosterEnvelope(constants::roster_events_max - 1, constants::roster_audit_path_max);
  envelope.mutable_roster()->set_header(std::string(constants::roster_header_bytes_max, 'h'));
  envelope.set_event(std::string(constants::event_bytes_max, 'e'));
  const std::size_t overhead = RosterEventEnvelopeOverhead(32, constants::roster_header_bytes_max, 64,
                                                           constants::roster_audit_path_max);
  EXPECT_GE(overhead, envelope.ByteSizeLong() - constants::event_bytes_max);
}

}  // namespace
}  // namespace ledger
