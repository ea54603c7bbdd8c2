#include "ledger/entry_codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ledger
