#include "ledger/event_check.h"

#include <gtest/gtest.h>

#include "crypto/merkle.h"
#include "ledger/event_signer.h"

namespace ledger {
namespace {

constexpr const char* kOrigin = "test.example/ledger";

v1::Event Document(const std::string& id) {
  v1::Event event;
  event.set_origin(kOrigin);
  event.set_event_id(id);
  event.set_timestamp_ms(1735689600000);
  event.mutable_document_filed()->set_title("就业补助资金拨付凭证 " + id);
  event.mutable_document_filed()->set_sha256(std::string(32, 'd'));
  return event;
}

class EventCheckTest : public ::testing::Test {
 protected:
  std::string Roster(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) events_.push_back(Document("e" + std::to_string(i)));
    v1::RosterHeader header;
    header.set_origin(kOrigin);
    header.set_roster_id("r");
    return SignRoster(header, events_, key_);
  }

  crypto::SecretKey key_ = crypto::SecretKey::Generate();
  std::vector<v1::Event> events_;
};

TEST_F(EventCheckTest, RosterEventEnvelopesAreWhatProtobufWrites) {
  const std::string roster = Roster(5);
  auto checked = CheckSignedRoster(roster, kOrigin);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  ASSERT_EQ(checked->events.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    const CheckedEvent& event = checked->events[i];
    v1::SignedEvent envelope;
    ASSERT_TRUE(envelope.ParseFromArray(event.envelope_bytes.data(), static_cast<int>(event.envelope_bytes.size())));
    EXPECT_EQ(envelope.SerializeAsString(), event.envelope_bytes);
    EXPECT_EQ(event.event_bytes, events_[i].SerializeAsString());
    EXPECT_EQ(envelope.roster().leaf_index(), i);
    EXPECT_EQ(event.event->event_id(), "e" + std::to_string(i));
  }
}

TEST_F(EventCheckTest, StoredRosterEnvelopeChecksAlone) {
  const std::string roster = Roster(3);
  auto checked = CheckSignedRoster(roster, kOrigin);
  ASSERT_TRUE(checked.ok());
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(std::string(checked->events[2].envelope_bytes)));
  v1::Event decoded;
  auto alone = CheckStoredEnvelope(envelope, kOrigin, nullptr, &decoded);
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_EQ(alone->event, &decoded);
  EXPECT_EQ(decoded.event_id(), "e2");
}

TEST_F(EventCheckTest, RosterWithUnknownFieldIsMalformed) {
  const std::string roster = Roster(2) + std::string("\x2a\x01x", 3);  // Field 5, 1 byte.
  auto checked = CheckSignedRoster(roster, kOrigin);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), Code::kMalformed);
  EXPECT_EQ(checked.status().message(), "signed roster has unknown fields");
}

TEST_F(EventCheckTest, RosterWithHeaderTwiceIsMalformed) {
  const std::string roster = Roster(2) + std::string("\x0a\x01h", 3);  // Field 1 again.
  auto checked = CheckSignedRoster(roster, kOrigin);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), Code::kMalformed);
  EXPECT_EQ(checked.status().message(), "signed roster field 1 appears twice");
}

TEST_F(EventCheckTest, TruncatedRosterIsMalformed) {
  std::string roster = Roster(2);
  roster.pop_back();
  auto checked = CheckSignedRoster(roster, kOrigin);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), Code::kMalformed);
  EXPECT_EQ(checked.status().message(), "bytes do not decode as ledger.v1.SignedRoster");
}

TEST_F(EventCheckTest, RepeatedIdIsNamedAtItsSecondPosition) {
  events_ = {Document("a"), Document("b"), Document("c"), Document("b")};
  v1::RosterHeader header;
  header.set_origin(kOrigin);
  auto checked = CheckSignedRoster(SignRoster(header, events_, key_), kOrigin);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), Code::kDuplicateId);
  EXPECT_EQ(checked.status().message(), "roster event 3: event id 'b' appears twice in the roster");
}

TEST_F(EventCheckTest, SignedEventIsStoredAsProtobufWritesItsEnvelope) {
  const std::string bytes = SignEvent(Document("single"), key_);
  auto checked = CheckSignedEvent(bytes, kOrigin);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  ASSERT_EQ(checked->events.size(), 1u);
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(bytes));
  EXPECT_EQ(checked->events[0].envelope_bytes, envelope.SerializeAsString());
  EXPECT_EQ(checked->events[0].event_bytes, envelope.event());
}

}  // namespace
}  // namespace ledger
