// Signed API requests: the exact signed bytes (docs/api.md's worked example) and every refusal.
#include "api/request_auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "crypto/signing.h"
#include "ledger/constants.h"

namespace api {
namespace {

using ledger::Code;

// docs/api.md, "Worked example". The officer key of docs/formats.md: a public seed, never use it.
constexpr std::string_view kOrigin = "bayannur-employment-ledger-demo";
constexpr std::string_view kMethod = "POST";
constexpr std::string_view kTarget = "/v1/events?wait=commit";
constexpr std::int64_t kTime = 1735693200000;  // 2025-01-01T01:00:00Z.
constexpr std::string_view kBody = R"({"event_id":"doc-linhe-2025-001"})";
constexpr std::string_view kExampleMessage =
    "audit-ledger/v1/request\n"
    "bayannur-employment-ledger-demo\n"
    "POST\n"
    "/v1/events?wait=commit\n"
    "1735693200000\n"
    "a85ebfc71f8ba094881abb2427d3b8dc05843289f905569726879a59449b876b\n";
constexpr std::string_view kExampleKey = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=";
// Also what `openssl pkeyutl -sign -rawin` prints for the same seed and message (docs/api.md).
constexpr std::string_view kExampleSignature =
    "Qonjbxa2CPPEN/KBoh95RKEJCTXI6R0jDszVi5H+3/68TtNz+0aZTu4ZYfJbLp+vBKfOv8YHPIIQ4TN+0S5zCA==";

constexpr std::int64_t kSkew = ledger::constants::request_skew_ms_max;

class RequestAuthTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Initialize()); }

  static crypto::SecretKey Officer() { return KeyFromSeed('\x01'); }
  static crypto::SecretKey Stranger() { return KeyFromSeed('\x03'); }
  static crypto::SecretKey KeyFromSeed(char byte) {
    return *crypto::SecretKey::FromSeed(std::string(crypto::kSeedBytes, byte));
  }

  // The worked example's request, signed at `timestamp_ms` by `key`.
  static RequestSignature Sign(const crypto::SecretKey& key, std::int64_t timestamp_ms = kTime,
                               std::string_view body = kBody) {
    return SignRequest(key, kOrigin, kMethod, kTarget, timestamp_ms, body);
  }

  // Checks the worked example's request carrying `headers`, as received at `now_ms`.
  ledger::Result<crypto::PublicKey> Check(const RequestSignature& headers,
                                          std::int64_t now_ms = kTime,
                                          std::string_view method = kMethod,
                                          std::string_view target = kTarget,
                                          std::string_view body = kBody,
                                          const KeyAdmission& admit = {}) {
    return authenticator_->Check(method, target, body, headers.key_b64, headers.timestamp,
                                 headers.signature_b64, now_ms, admit);
  }

  static Code CodeOf(const ledger::Result<crypto::PublicKey>& result) {
    return result.ok() ? Code::kOk : result.status().code();
  }

  // Replaces the authenticator, e.g. with a smaller cache.
  void Reset(std::size_t cache_entries_max, std::string origin = std::string(kOrigin)) {
    authenticator_ = std::make_unique<RequestAuthenticator>(std::move(origin), kSkew,
                                                            cache_entries_max);
  }

  std::unique_ptr<RequestAuthenticator> authenticator_ = std::make_unique<RequestAuthenticator>(
      std::string(kOrigin), kSkew, ledger::constants::replay_cache_entries_max);
};

TEST_F(RequestAuthTest, CodeNames) {
  EXPECT_EQ(ledger::CodeName(Code::kStaleRequest), "stale_request");
  EXPECT_EQ(ledger::CodeName(Code::kReplayedRequest), "replayed_request");
}

TEST_F(RequestAuthTest, WorkedExampleMessageBytes) {
  const std::string message = RequestSigningMessage(kOrigin, kMethod, kTarget, kTime, kBody);
  EXPECT_EQ(message, kExampleMessage);
  EXPECT_EQ(message.size(), 163u);
}

TEST_F(RequestAuthTest, WorkedExampleHeaders) {
  const RequestSignature headers = Sign(Officer());
  EXPECT_EQ(headers.key_b64, kExampleKey);
  EXPECT_EQ(headers.timestamp, "1735693200000");
  EXPECT_EQ(headers.signature_b64, kExampleSignature);
}

TEST_F(RequestAuthTest, EmptyBodyHashesTheEmptyString) {
  EXPECT_EQ(RequestSigningMessage("o", "GET", "/v1/x", 0, ""),
            "audit-ledger/v1/request\no\nGET\n/v1/x\n0\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
}

TEST_F(RequestAuthTest, GoodRequestReturnsTheSignersKey) {
  auto result = Check(Sign(Officer()));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, Officer().public_key());
  EXPECT_EQ(authenticator_->remembered(), 1u);
}

TEST_F(RequestAuthTest, MissingSignatureHeaderIsUnsigned) {
  RequestSignature headers = Sign(Officer());
  headers.signature_b64.clear();
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kBadSignature);
  EXPECT_EQ(result.status().message(), "request is not signed: X-Ledger-Signature missing");
}

TEST_F(RequestAuthTest, MissingKeyHeaderIsUnsigned) {
  RequestSignature headers = Sign(Officer());
  headers.key_b64.clear();
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kBadSignature);
  EXPECT_EQ(result.status().message(), "request is not signed: X-Ledger-Key missing");
}

TEST_F(RequestAuthTest, MissingTimestampHeaderIsUnsigned) {
  RequestSignature headers = Sign(Officer());
  headers.timestamp.clear();
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kBadSignature);
  EXPECT_EQ(result.status().message(), "request is not signed: X-Ledger-Timestamp missing");
}

TEST_F(RequestAuthTest, SignatureNotBase64IsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.signature_b64[0] = '*';
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kMalformed);
  EXPECT_EQ(result.status().message(),
            "X-Ledger-Signature is not base64 of a 64-byte Ed25519 signature");
}

TEST_F(RequestAuthTest, KeyNotBase64IsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.key_b64.pop_back();  // Drops the padding.
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kMalformed);
  EXPECT_EQ(result.status().message(),
            "X-Ledger-Key is not base64 of a 32-byte Ed25519 public key");
}

TEST_F(RequestAuthTest, KeyOfWrongLengthIsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.key_b64 = crypto::Base64Encode(std::string(31, '\x01'));
  EXPECT_EQ(CodeOf(Check(headers)), Code::kMalformed);
}

TEST_F(RequestAuthTest, TimestampWithLeadingZeroIsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.timestamp = "0" + headers.timestamp;
  auto result = Check(headers);
  EXPECT_EQ(CodeOf(result), Code::kMalformed);
  EXPECT_EQ(result.status().message(), "X-Ledger-Timestamp is not a decimal count of milliseconds");
}

TEST_F(RequestAuthTest, TimestampWithSignIsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.timestamp = "+" + headers.timestamp;
  EXPECT_EQ(CodeOf(Check(headers)), Code::kMalformed);
}

TEST_F(RequestAuthTest, TimestampBeyondInt64IsMalformed) {
  RequestSignature headers = Sign(Officer());
  headers.timestamp = "9223372036854775808";
  EXPECT_EQ(CodeOf(Check(headers)), Code::kMalformed);
}

TEST_F(RequestAuthTest, LineFeedInTargetIsMalformed) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer()), kTime, kMethod, "/v1/events\nwait=commit")),
            Code::kMalformed);
}

TEST_F(RequestAuthTest, AnotherKeyInTheHeaderIsABadSignature) {
  RequestSignature headers = Sign(Officer());
  headers.key_b64 = crypto::Base64Encode(crypto::AsBytes(Stranger().public_key()));
  EXPECT_EQ(CodeOf(Check(headers)), Code::kBadSignature);
}

TEST_F(RequestAuthTest, FlippedBodyByteIsABadSignature) {
  std::string body(kBody);
  body[5] ^= 0x01;
  EXPECT_EQ(CodeOf(Check(Sign(Officer()), kTime, kMethod, kTarget, body)), Code::kBadSignature);
}

TEST_F(RequestAuthTest, ChangedQueryIsABadSignature) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer()), kTime, kMethod, "/v1/events?wait=none")),
            Code::kBadSignature);
}

TEST_F(RequestAuthTest, ReorderedQueryIsABadSignature) {
  const RequestSignature headers =
      SignRequest(Officer(), kOrigin, "GET", "/v1/x?a=1&b=2", kTime, "");
  EXPECT_EQ(CodeOf(Check(headers, kTime, "GET", "/v1/x?b=2&a=1", "")), Code::kBadSignature);
}

TEST_F(RequestAuthTest, ChangedMethodIsABadSignature) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer()), kTime, "PUT")), Code::kBadSignature);
}

TEST_F(RequestAuthTest, OtherOriginIsABadSignature) {
  Reset(ledger::constants::replay_cache_entries_max, "another-ledger");
  EXPECT_EQ(CodeOf(Check(Sign(Officer()))), Code::kBadSignature);
}

TEST_F(RequestAuthTest, ChangedTimestampHeaderIsABadSignature) {
  RequestSignature headers = Sign(Officer());
  headers.timestamp = std::to_string(kTime + 1);
  EXPECT_EQ(CodeOf(Check(headers)), Code::kBadSignature);
}

TEST_F(RequestAuthTest, OneMillisecondTooOldIsStale) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime - kSkew - 1))), Code::kStaleRequest);
}

TEST_F(RequestAuthTest, OneMillisecondTooFarInTheFutureIsStale) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime + kSkew + 1))), Code::kStaleRequest);
}

TEST_F(RequestAuthTest, ExactlySkewOldPasses) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime - kSkew))), Code::kOk);
}

TEST_F(RequestAuthTest, ExactlySkewInTheFuturePasses) {
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime + kSkew))), Code::kOk);
}

TEST_F(RequestAuthTest, ReplayIsRefused) {
  const RequestSignature headers = Sign(Officer());
  ASSERT_EQ(CodeOf(Check(headers)), Code::kOk);
  EXPECT_EQ(CodeOf(Check(headers, kTime + 1000)), Code::kReplayedRequest);
}

TEST_F(RequestAuthTest, ReplayAtTheLastMomentOfTheWindowIsRefused) {
  const RequestSignature headers = Sign(Officer());
  ASSERT_EQ(CodeOf(Check(headers)), Code::kOk);
  EXPECT_EQ(CodeOf(Check(headers, kTime + kSkew)), Code::kReplayedRequest);
}

TEST_F(RequestAuthTest, ConcurrentReplaysAcceptExactlyOne) {
  const RequestSignature headers = Sign(Officer());
  std::atomic<int> accepted = 0, replayed = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        const Code code = CodeOf(Check(headers));
        (code == Code::kOk ? accepted : replayed)++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(replayed, 8 * 50 - 1);
}

TEST_F(RequestAuthTest, FullCacheIsBusy) {
  Reset(2);
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime))), Code::kOk);
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime + 1))), Code::kOk);
  auto result = Check(Sign(Officer(), kTime + 2));
  EXPECT_EQ(CodeOf(result), Code::kBusy);
  EXPECT_EQ(result.status().message(),
            "replay cache full; its oldest entry expires in " + std::to_string(kSkew + 1) + " ms");
  EXPECT_EQ(authenticator_->remembered(), 2u);
}

TEST_F(RequestAuthTest, FullCacheFreesUpWhenEntriesLeaveTheWindow) {
  Reset(2);
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime))), Code::kOk);
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime + 1))), Code::kOk);
  // At kTime + kSkew the first entry is still replayable; one millisecond later it is not.
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime + kSkew), kTime + kSkew)), Code::kBusy);
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime + kSkew + 1), kTime + kSkew + 1)), Code::kOk);
  EXPECT_EQ(authenticator_->remembered(), 2u);
}

TEST_F(RequestAuthTest, OutOfOrderTimestampsExpireByTheirOwnTime) {
  Reset(2);
  // The later timestamp arrives first; expiry follows timestamps, not arrival.
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime + 60'000))), Code::kOk);
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), kTime - 60'000))), Code::kOk);
  const std::int64_t later = kTime - 60'000 + kSkew + 1;  // Only the older entry has expired.
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), later), later)), Code::kOk);
  EXPECT_EQ(CodeOf(Check(Sign(Officer(), kTime + 60'000), later)), Code::kReplayedRequest);
}

TEST_F(RequestAuthTest, BadSignatureIsNotRemembered) {
  Reset(1);
  RequestSignature forged = Sign(Officer());
  forged.key_b64 = crypto::Base64Encode(crypto::AsBytes(Stranger().public_key()));
  ASSERT_EQ(CodeOf(Check(forged)), Code::kBadSignature);
  EXPECT_EQ(authenticator_->remembered(), 0u);
  EXPECT_EQ(CodeOf(Check(Sign(Officer()))), Code::kOk);
}

TEST_F(RequestAuthTest, RefusedKeyIsNotRemembered) {
  Reset(1);
  const crypto::PublicKey officer = Officer().public_key();
  const KeyAdmission only_officer = [&](const crypto::PublicKey& key) {
    return key == officer ? ledger::Status::Ok()
                          : ledger::Status(Code::kUnknownSigner, "not an actor");
  };
  EXPECT_EQ(CodeOf(Check(Sign(Stranger()), kTime, kMethod, kTarget, kBody, only_officer)),
            Code::kUnknownSigner);
  EXPECT_EQ(authenticator_->remembered(), 0u);
  EXPECT_EQ(CodeOf(Check(Sign(Officer()), kTime, kMethod, kTarget, kBody, only_officer)),
            Code::kOk);
}

TEST_F(RequestAuthTest, ClockSteppingBackDoesNotReopenTheWindow) {
  const RequestSignature first = Sign(Officer(), kTime);
  ASSERT_EQ(CodeOf(Check(first, kTime)), Code::kOk);
  // Time moves on and `first` is forgotten ...
  const std::int64_t later = kTime + kSkew + 1;
  ASSERT_EQ(CodeOf(Check(Sign(Officer(), later), later)), Code::kOk);
  ASSERT_EQ(authenticator_->remembered(), 1u);
  // ... then the server clock steps back: the replay must not pass as new.
  EXPECT_EQ(CodeOf(Check(first, kTime)), Code::kStaleRequest);
}

}  // namespace
}  // namespace api
