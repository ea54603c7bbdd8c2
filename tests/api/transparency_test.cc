// The transparency surface over real loopback HTTP: tlog-tiles tiles and entry bundles, RFC 9162
// proofs, checked by a client written only from the specifications (tests/rfc9162.h) that knows
// the log's public key and nothing else about the ledger's code.
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "api/request_auth.h"
#include "api/server.h"
#include "crypto/note.h"
#include "ledger/api.pb.h"
#include "ledger/event_signer.h"
#include "tests/rfc9162.h"
#include "tests/test_ledger.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using rfc9162::Bytes;
using testing_ledger::TestLedger;

constexpr std::uint64_t kEntries = 300;

struct Answer {
  int status = 0;
  std::string content_type;
  std::string cache_control;
  std::string body;
};

class TransparencyTest : public ::testing::Test {
 protected:
  // One ledger and server for the suite: genesis and a roster of 299 events.
  static void SetUpTestSuite() {
    ledger_ = new TestLedger();
    leaves_ = new std::vector<Bytes>();
    auditor_ = new crypto::SecretKey(ledger_->Register("auditor", ledger::v1::ROLE_AUDITOR));
    std::vector<ledger::v1::Event> events;
    for (std::uint64_t i = 2; i < kEntries; ++i) events.push_back(TestLedger::Document("doc-" + std::to_string(i)));
    ledger::v1::RosterHeader header;
    header.set_origin(testing_ledger::kOrigin);
    header.set_roster_id("roster");
    header.set_timestamp_ms(testing_ledger::kTime);
    ASSERT_TRUE(ledger_->store().AppendRoster(ledger::SignRoster(header, events, ledger_->admin())).ok());
    ASSERT_EQ(ledger_->store().size(), kEntries);
    ASSERT_NO_FATAL_FAILURE(ledger_->WaitForFullCheckpoint());
    api::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    server_ = new api::Server(&ledger_->store(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete auditor_;
    delete leaves_;
    delete ledger_;
  }

  // GET `target` on a fresh connection, signed by the auditor if `signed_by_auditor`.
  static Answer Get(const std::string& target, bool signed_by_auditor = false) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (signed_by_auditor) {
      const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
      auto signature = api::SignRequest(*auditor_, testing_ledger::kOrigin, "GET", target, now, "");
      request.set(std::string(api::kKeyHeader), signature.key_b64);
      request.set(std::string(api::kTimestampHeader), signature.timestamp);
      request.set(std::string(api::kSignatureHeader), signature.signature_b64);
    }
    request.prepare_payload();
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    return {static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
            std::string(response[http::field::cache_control]), response.body()};
  }

  // The problem's code, or "" if the body is not a problem.
  static std::string ProblemCode(const Answer& answer) {
    simdjson::dom::parser parser;
    std::string_view code;
    if (parser.parse(answer.body).get_object()["code"].get_string().get(code) != simdjson::SUCCESS) return "";
    return std::string(code);
  }

  // A proof answer's sizes (JSON strings) and decoded hashes.
  struct Proof {
    std::string first, second;  // index or old_size; tree_size.
    std::vector<Bytes> hashes;
  };
  static Proof ParseProof(const Answer& answer, const char* first_name) {
    Proof proof;
    simdjson::dom::parser parser;
    simdjson::dom::element json;
    EXPECT_EQ(parser.parse(answer.body).get(json), simdjson::SUCCESS) << answer.body;
    std::string_view text;
    EXPECT_EQ(json[first_name].get_string().get(text), simdjson::SUCCESS) << answer.body;
    proof.first = text;
    EXPECT_EQ(json["tree_size"].get_string().get(text), simdjson::SUCCESS) << answer.body;
    proof.second = text;
    simdjson::dom::array hashes;
    EXPECT_EQ(json["hashes"].get_array().get(hashes), simdjson::SUCCESS) << answer.body;
    for (simdjson::dom::element hash : hashes) {
      auto bytes = crypto::Base64Decode(std::string_view(hash.get_string().value()));
      EXPECT_TRUE(bytes && bytes->size() == 32);
      proof.hashes.push_back(bytes.value_or(""));
    }
    return proof;
  }

  // The spec-only client's view of the log: the checkpoint, verified with the log's key, and
  // every leaf hash, from the entries the auditor reads (exact stored bytes).
  static std::uint64_t CheckpointSize(Bytes* root) {
    const Answer answer = Get("/checkpoint");
    auto text = crypto::OpenNote(answer.body, ledger_->store().log_key());
    EXPECT_TRUE(text.ok());
    auto checkpoint = crypto::ParseCheckpoint(*text);
    EXPECT_TRUE(checkpoint.ok());
    *root = Bytes(crypto::AsBytes(checkpoint->root));
    return checkpoint->size;
  }
  // Read once per suite run (a repeated run, --gtest_repeat, has a new ledger).
  static const std::vector<Bytes>& Leaves() {
    if (leaves_->empty()) {
      for (std::uint64_t i = 0; i < kEntries; ++i) leaves_->push_back(rfc9162::LeafHash(*ledger_->store().ReadEntry(i)));
    }
    return *leaves_;
  }
  static Bytes Root(std::uint64_t size) { return rfc9162::Mth(Leaves(), 0, size); }

  static std::vector<std::string> ParseBundle(const std::string& bundle) {
    std::vector<std::string> entries;
    for (std::size_t at = 0; at + 2 <= bundle.size();) {
      const std::size_t length =
          (static_cast<unsigned char>(bundle[at]) << 8) | static_cast<unsigned char>(bundle[at + 1]);
      entries.push_back(bundle.substr(at + 2, length));
      at += 2 + length;
    }
    return entries;
  }

  static TestLedger* ledger_;
  static crypto::SecretKey* auditor_;
  static api::Server* server_;
  static std::vector<Bytes>* leaves_;
};

TestLedger* TransparencyTest::ledger_ = nullptr;
std::vector<Bytes>* TransparencyTest::leaves_ = nullptr;
crypto::SecretKey* TransparencyTest::auditor_ = nullptr;
api::Server* TransparencyTest::server_ = nullptr;

// Tree sizes around tile and power-of-two boundaries.
const std::uint64_t kSampleSizes[] = {1, 2, 3, 7, 8, 9, 255, 256, 257, 299, 300};

TEST_F(TransparencyTest, InclusionProofsServedOverHttpVerify) {
  for (std::uint64_t size : kSampleSizes) {
    const Bytes root = Root(size);
    for (std::uint64_t index = 0; index < size; index += (size > 20 ? 13 : 1)) {
      const Answer answer =
          Get("/v1/proofs/inclusion?index=" + std::to_string(index) + "&tree_size=" + std::to_string(size));
      ASSERT_EQ(answer.status, 200) << answer.body;
      ASSERT_EQ(answer.content_type, "application/json");
      const Proof proof = ParseProof(answer, "index");
      EXPECT_EQ(proof.first, std::to_string(index));
      EXPECT_EQ(proof.second, std::to_string(size));
      EXPECT_TRUE(rfc9162::VerifyInclusion(index, size, Leaves()[index], proof.hashes, root)) << index << " in " << size;
    }
  }
}

TEST_F(TransparencyTest, ConsistencyProofsServedOverHttpVerify) {
  for (std::uint64_t size : kSampleSizes) {
    for (std::uint64_t old_size : kSampleSizes) {
      if (old_size >= size) continue;
      const Answer answer =
          Get("/v1/proofs/consistency?old_size=" + std::to_string(old_size) + "&tree_size=" + std::to_string(size));
      ASSERT_EQ(answer.status, 200) << answer.body;
      const Proof proof = ParseProof(answer, "old_size");
      EXPECT_EQ(proof.first, std::to_string(old_size));
      EXPECT_EQ(proof.second, std::to_string(size));
      EXPECT_TRUE(rfc9162::VerifyConsistency(old_size, size, Root(old_size), Root(size), proof.hashes))
          << old_size << " to " << size;
    }
  }
}

TEST_F(TransparencyTest, ProofOfTheCheckpointVerifiesAgainstItsSignedRoot) {
  Bytes root;
  const std::uint64_t size = CheckpointSize(&root);
  const Answer answer = Get("/v1/proofs/inclusion?index=123&tree_size=" + std::to_string(size));
  EXPECT_TRUE(rfc9162::VerifyInclusion(123, size, Leaves()[123], ParseProof(answer, "index").hashes, root));
}

TEST_F(TransparencyTest, ConsistencyBetweenEqualSizesIsAnEmptyList) {
  const Answer answer = Get("/v1/proofs/consistency?old_size=300&tree_size=300");
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "{\"old_size\":\"300\",\"tree_size\":\"300\",\"hashes\":[]}\n");
}

// The proof answers are written by hand for speed: byte for byte the proto3 JSON of the
// documented apiv1 messages.
TEST_F(TransparencyTest, ProofAnswersAreTheProtoJsonOfTheirMessages) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  ledger::api::v1::InclusionProof inclusion;
  inclusion.set_index(7);
  inclusion.set_tree_size(300);
  const auto inclusion_hashes = ledger_->store().InclusionProof(7, 300);
  ASSERT_TRUE(inclusion_hashes.ok());
  for (const crypto::Hash& hash : *inclusion_hashes) {
    inclusion.add_hashes(crypto::Base64Encode(crypto::AsBytes(hash)));
  }
  std::string expected;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(inclusion, &expected, options).ok());
  EXPECT_EQ(Get("/v1/proofs/inclusion?index=7&tree_size=300").body, expected + "\n");
  ledger::api::v1::ConsistencyProof consistency;
  consistency.set_old_size(9);
  consistency.set_tree_size(300);
  const auto consistency_hashes = ledger_->store().ConsistencyProof(9, 300);
  ASSERT_TRUE(consistency_hashes.ok());
  for (const crypto::Hash& hash : *consistency_hashes) {
    consistency.add_hashes(crypto::Base64Encode(crypto::AsBytes(hash)));
  }
  expected.clear();
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(consistency, &expected, options).ok());
  EXPECT_EQ(Get("/v1/proofs/consistency?old_size=9&tree_size=300").body, expected + "\n");
}

TEST_F(TransparencyTest, ProofBeyondTheLogIsNotFound) {
  const Answer answer = Get("/v1/proofs/inclusion?index=0&tree_size=301");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.content_type, "application/problem+json");
  EXPECT_EQ(ProblemCode(answer), "not_found");
  EXPECT_EQ(ProblemCode(Get("/v1/proofs/consistency?old_size=1&tree_size=301")), "not_found");
}

TEST_F(TransparencyTest, ProofArgumentsThatNameNoProofAreInvalid) {
  for (const char* target : {"/v1/proofs/inclusion?index=300&tree_size=300", "/v1/proofs/consistency?old_size=0&tree_size=5",
                             "/v1/proofs/consistency?old_size=6&tree_size=5"}) {
    const Answer answer = Get(target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_EQ(ProblemCode(answer), "invalid_argument") << target;
  }
}

TEST_F(TransparencyTest, BadProofQueriesAreMalformed) {
  for (const char* target : {"/v1/proofs/inclusion?tree_size=5", "/v1/proofs/inclusion?index=1",
                             "/v1/proofs/inclusion?index=x&tree_size=5", "/v1/proofs/inclusion?index=-1&tree_size=5",
                             "/v1/proofs/inclusion?index=1&tree_size=5&extra=1",
                             "/v1/proofs/inclusion?index=1&index=2&tree_size=5",
                             "/v1/proofs/consistency?old_size=1&tree_size=18446744073709551616",
                             "/v1/proofs/consistency?tree_size=5"}) {
    const Answer answer = Get(target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_EQ(ProblemCode(answer), "malformed") << target;
  }
}

// A client that knows only tlog-tiles: it reads the checkpoint, fetches the tiles the tree of
// that size needs (full and partial), and computes the root from them.
TEST_F(TransparencyTest, RootComputedFromTilesFetchedOverHttpIsTheCheckpointRoot) {
  Bytes root;
  const std::uint64_t size = CheckpointSize(&root);
  ASSERT_EQ(size, 300u);
  const Answer full = Get("/tile/0/000");
  const Answer partial = Get("/tile/0/001.p/44");
  const Answer upper = Get("/tile/1/000.p/1");
  ASSERT_EQ(full.status, 200);
  ASSERT_EQ(partial.status, 200);
  ASSERT_EQ(upper.status, 200);
  ASSERT_EQ(full.body.size(), 256u * 32);
  ASSERT_EQ(partial.body.size(), 44u * 32);
  ASSERT_EQ(upper.body.size(), 32u);
  std::vector<Bytes> level0;
  for (const std::string* tile : {&full.body, &partial.body}) {
    for (std::size_t at = 0; at < tile->size(); at += 32) level0.push_back(tile->substr(at, 32));
  }
  // The level-1 hash is the root of the full level-0 tile; the tree's root combines it with the
  // partial tile's 44 hashes as MTH does (256 is the largest power of two below 300).
  EXPECT_EQ(upper.body, rfc9162::Mth(level0, 0, 256));
  EXPECT_EQ(rfc9162::NodeHash(upper.body, rfc9162::Mth(level0, 256, 300)), root);
}

TEST_F(TransparencyTest, TilesAreOctetStreamsCachedForGood) {
  for (const char* target : {"/tile/0/000", "/tile/0/001.p/44"}) {
    const Answer answer = Get(target);
    EXPECT_EQ(answer.content_type, "application/octet-stream") << target;
    EXPECT_EQ(answer.cache_control, "public, max-age=31536000, immutable") << target;
  }
  EXPECT_EQ(Get("/checkpoint").cache_control, "no-cache");
}

TEST_F(TransparencyTest, PartialTileThatHasSinceBecomeFullIsServedAsItsPrefix) {
  const Answer full = Get("/tile/0/000");
  const Answer partial = Get("/tile/0/000.p/10");
  ASSERT_EQ(partial.status, 200);
  EXPECT_EQ(partial.body, full.body.substr(0, 10 * 32));
}

TEST_F(TransparencyTest, TilesBeyondTheTreeAreNotFound) {
  for (const char* target : {"/tile/0/001", "/tile/0/001.p/45", "/tile/1/000", "/tile/2/000.p/1", "/tile/63/000"}) {
    const Answer answer = Get(target);
    EXPECT_EQ(answer.status, 404) << target;
    EXPECT_EQ(ProblemCode(answer), "not_found") << target;
  }
}

TEST_F(TransparencyTest, NonCanonicalTilePathsAreMalformed) {
  for (const char* target : {"/tile/0/1", "/tile/00/000", "/tile/0/000.p/256", "/tile/0/000.p/0", "/tile/64/000",
                             "/tile/0/x000/001", "/tile/0/000?x=1", "/tile/entries"}) {
    const Answer answer = Get(target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_EQ(ProblemCode(answer), "malformed") << target;
  }
}

TEST_F(TransparencyTest, EntryBundleEntriesHashToTheLevelZeroTile) {
  const Answer bundle = Get("/tile/entries/000", true);
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  EXPECT_EQ(bundle.content_type, "application/octet-stream");
  EXPECT_EQ(bundle.cache_control, "private, max-age=31536000, immutable");
  const std::vector<std::string> entries = ParseBundle(bundle.body);
  const std::string tile = Get("/tile/0/000").body;
  ASSERT_EQ(entries.size(), 256u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(rfc9162::LeafHash(entries[i]), tile.substr(i * 32, 32)) << i;
  }
}

TEST_F(TransparencyTest, PartialEntryBundleEntriesHashToThePartialTile) {
  const std::vector<std::string> entries = ParseBundle(Get("/tile/entries/001.p/44", true).body);
  const std::string tile = Get("/tile/0/001.p/44").body;
  ASSERT_EQ(entries.size(), 44u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(rfc9162::LeafHash(entries[i]), tile.substr(i * 32, 32)) << i;
  }
}

TEST_F(TransparencyTest, EntryBundlesAreForAuditorsOnly) {
  const Answer answer = Get("/tile/entries/000");
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(ProblemCode(answer), "bad_signature");
}

}  // namespace
