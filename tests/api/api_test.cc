// The REST API end to end: a real store, the Beast server on loopback, signed requests.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <chrono>
#include <thread>

#include "api/request_auth.h"
#include "api/server.h"
#include "crypto/hash.h"
#include "ledger/constants.h"
#include "ledger/event_signer.h"
#include "ledger/vault.h"
#include "tests/fund_events.h"
#include "tests/test_ledger.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace testing_ledger::funds;
using testing_ledger::TestLedger;

struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
};

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wuyuan_ = ledger_.Register("finance-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, kWuyuan);
    auditor_ = ledger_.Register("auditor", ledger::v1::ROLE_AUDITOR);
    inspector_ = ledger_.Register("inspector", ledger::v1::ROLE_INSPECTOR);
    for (const Event& event : Reference()) ASSERT_TRUE(ledger_.Append(event, ledger_.admin()).ok());
    for (const Event& event : {Plan("plan-1", 10'000'000), Arrival("arrival-1", "plan-1", 6'000'000)}) {
      ASSERT_TRUE(ledger_.Append(event, wuyuan_).ok());
    }
    auto vault = ledger::Vault::Open(ledger_.dir());
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);
    api::ServerOptions options;
    options.vault = vault_.get();
    options.port = 0;
    options.threads = 2;
    // Short, so AClientThatDoesNotFinishItsRequestIsCutOff ends soon; not so short that a
    // loaded machine (the sanitizer run, two suites at once) starves an ordinary request past it.
    options.io_timeout = std::chrono::seconds(3);
    server_ = std::make_unique<api::Server>(&ledger_.store(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  // Sends one request on a fresh connection; signs it with `key` unless null.
  Answer Send(const std::string& method, const std::string& target, const std::string& body = "",
              const crypto::SecretKey* key = nullptr, std::int64_t timestamp = 0,
              const std::string& origin = testing_ledger::kOrigin) {
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.body() = body;
    if (key != nullptr) {
      auto signature = api::SignRequest(*key, origin, method, target, timestamp ? timestamp : NowMs(), body);
      last_signature_ = signature;
      request.set(std::string(api::kKeyHeader), signature.key_b64);
      request.set(std::string(api::kTimestampHeader), signature.timestamp);
      request.set(std::string(api::kSignatureHeader), signature.signature_b64);
    }
    request.prepare_payload();
    return Exchange(request);
  }

  Answer Exchange(http::request<http::string_body>& request) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    beast::error_code ec;
    // A server may answer (413) and stop reading before the body is all sent: the write then
    // fails, and the answer is still there to read.
    http::write(stream, request, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser, ec);
    EXPECT_FALSE(ec) << ec.message();
    auto& response = parser.get();
    return {static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
            response.body()};
  }

  // The body of POST /v1/events for a signed event.
  static std::string EventBody(const std::string& signed_event) {
    return "{\"signed_event\":\"" + crypto::Base64Encode(signed_event) + "\"}";
  }

  static std::string Field(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":";
    auto at = json.find(key);
    if (at == std::string::npos) return "(absent)";
    auto end = json.find_first_of(",}", at + key.size());
    return json.substr(at + key.size(), end - at - key.size());
  }

  TestLedger ledger_;
  std::unique_ptr<ledger::Vault> vault_;
  crypto::SecretKey wuyuan_ = crypto::SecretKey::Generate();
  crypto::SecretKey auditor_ = crypto::SecretKey::Generate();
  crypto::SecretKey inspector_ = crypto::SecretKey::Generate();
  std::unique_ptr<api::Server> server_;
  api::RequestSignature last_signature_;
};

TEST_F(ApiTest, HealthIsPublic) {
  Answer answer = Send("GET", "/healthz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok\n");
}

// Answers leave as soon as they are written: every accepted connection has TCP_NODELAY. With
// Nagle's algorithm, an answer written while the one before it was unacknowledged waited for the
// client's delayed ACK (40 ms on Linux): pipelined requests took 50 ms at p50 on an idle server.
TEST_F(ApiTest, AcceptedConnectionsSendAnswersWithoutNagleDelay) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  // An answer on this connection means the server has accepted it and set its options.
  http::request<http::string_body> request{http::verb::get, "/healthz", 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  ASSERT_EQ(response.result_int(), 200u);
  const unsigned short client_port = stream.socket().local_endpoint().port();
  // The server runs in this process: find its end of the connection among our descriptors.
  int server_ends = 0;
  for (const auto& fd_entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(fd_entry.path().filename().string());
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t local_size = sizeof local;
    socklen_t peer_size = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 || local.sin_family != AF_INET ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) {
      continue;
    }
    if (ntohs(local.sin_port) != server_->port() || ntohs(peer.sin_port) != client_port) continue;
    int no_delay = 0;
    socklen_t size = sizeof no_delay;
    ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &no_delay, &size), 0);
    EXPECT_NE(no_delay, 0);
    ++server_ends;
  }
  EXPECT_EQ(server_ends, 1);
}

TEST_F(ApiTest, SignedBalanceQueryAnswersInFen) {
  Answer answer = Send("GET", "/v1/balances?region=150821&program=R4", "", &auditor_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(Field(answer.body, "planned"), "\"10000000\"");
  EXPECT_EQ(Field(answer.body, "received"), "\"6000000\"");
  EXPECT_EQ(Field(answer.body, "available"), "\"6000000\"");
  EXPECT_EQ(Field(answer.body, "outstanding"), "\"4000000\"");
}

TEST_F(ApiTest, UnsignedRequestIsUnauthorized) {
  Answer answer = Send("GET", "/v1/balances");
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.content_type, "application/problem+json");
  EXPECT_EQ(Field(answer.body, "code"), "\"bad_signature\"");
}

TEST_F(ApiTest, SignatureForAnotherLedgerIsUnauthorized) {
  Answer answer = Send("GET", "/v1/balances", "", &auditor_, 0, "another-ledger");
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(Field(answer.body, "code"), "\"bad_signature\"");
}

TEST_F(ApiTest, StaleRequestIsUnauthorized) {
  Answer answer = Send("GET", "/v1/balances", "", &auditor_, NowMs() - ledger::constants::request_skew_ms_max - 60'000);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(Field(answer.body, "code"), "\"stale_request\"");
}

TEST_F(ApiTest, ReplayedRequestIsUnauthorized) {
  ASSERT_EQ(Send("GET", "/v1/funds", "", &auditor_).status, 200);
  http::request<http::string_body> replay{http::verb::get, "/v1/funds", 11};
  replay.set(std::string(api::kKeyHeader), last_signature_.key_b64);
  replay.set(std::string(api::kTimestampHeader), last_signature_.timestamp);
  replay.set(std::string(api::kSignatureHeader), last_signature_.signature_b64);
  replay.prepare_payload();
  Answer answer = Exchange(replay);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(Field(answer.body, "code"), "\"replayed_request\"");
}

TEST_F(ApiTest, UnregisteredKeyIsUnauthorized) {
  crypto::SecretKey stranger = crypto::SecretKey::Generate();
  Answer answer = Send("GET", "/v1/funds", "", &stranger);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(Field(answer.body, "code"), "\"unknown_signer\"");
}

TEST_F(ApiTest, WrongRoleIsForbidden) {
  Answer answer = Send("GET", "/v1/actors", "", &inspector_);
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(Field(answer.body, "code"), "\"role_not_allowed\"");
}

TEST_F(ApiTest, OfficerReadsOnlyTheirRegion) {
  EXPECT_EQ(Send("GET", "/v1/balances?region=150802", "", &wuyuan_).status, 403);
  Answer own = Send("GET", "/v1/balances", "", &wuyuan_);
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(Field(own.body, "region"), "\"150821\"");
}

TEST_F(ApiTest, UnknownQueryParameterIsBadRequest) {
  Answer answer = Send("GET", "/v1/balances?regoin=150821", "", &auditor_);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(Field(answer.body, "code"), "\"malformed\"");
}

TEST_F(ApiTest, AppendAnswersWithTheDurableReceipt) {
  const std::string event = ledger::SignEvent(PayUnit("pay-1", 1'589'000), wuyuan_);
  const std::string body = EventBody(event);
  Answer answer = Send("POST", "/v1/events", body, &wuyuan_);
  ASSERT_EQ(answer.status, 201) << answer.body;
  EXPECT_EQ(Field(answer.body, "index"), "\"" + std::to_string(ledger_.store().size() - 1) + "\"");
  EXPECT_EQ(Field(answer.body, "duplicate"), "false");
}

TEST_F(ApiTest, OverdraftIsUnprocessableAndNamesTheAmounts) {
  const std::string event = ledger::SignEvent(PayUnit("pay-1", 6'000'001), wuyuan_);
  const std::uint64_t size = ledger_.store().size();
  Answer answer = Send("POST", "/v1/events", EventBody(event), &wuyuan_);
  EXPECT_EQ(answer.status, 422);
  EXPECT_EQ(Field(answer.body, "code"), "\"overdraft\"");
  EXPECT_NE(answer.body.find("has 60,000.00 yuan available, disbursement asks 60,000.01"), std::string::npos);
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(ApiTest, MalformedJsonIsBadRequest) {
  Answer answer = Send("POST", "/v1/events", "{\"signed_event\":", &wuyuan_);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(Field(answer.body, "code"), "\"malformed\"");
}

TEST_F(ApiTest, UnknownFieldIsBadRequest) {
  Answer answer = Send("POST", "/v1/events", "{\"signed_event\":\"AA==\",\"extra\":1}", &wuyuan_);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("unknown field 'extra'"), std::string::npos) << answer.body;
}

TEST_F(ApiTest, WrongTypeIsBadRequest) {
  Answer answer = Send("POST", "/v1/events", "{\"signed_event\":42}", &wuyuan_);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("field 'signed_event' must be a string"), std::string::npos) << answer.body;
}

TEST_F(ApiTest, BodyOverTheLimitIsTooLarge) {
  const std::string body(ledger::constants::http_body_bytes_max + 1, 'x');
  Answer answer = Send("POST", "/v1/events", body, &wuyuan_);
  EXPECT_EQ(answer.status, 413);
  EXPECT_EQ(Field(answer.body, "code"), "\"too_large\"");
}

TEST_F(ApiTest, EntryIsForAuditorsWithItsExactLeaf) {
  Answer answer = Send("GET", "/v1/entries/0", "", &auditor_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto leaf = ledger_.store().ReadEntry(0);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(Field(answer.body, "leaf"), "\"" + crypto::Base64Encode(*leaf) + "\"");
  EXPECT_EQ(Send("GET", "/v1/entries/0", "", &wuyuan_).status, 403);
}

TEST_F(ApiTest, EntriesArePagedInLogOrderWithTheNextPagesStart) {
  const std::uint64_t size = ledger_.store().size();
  Answer answer = Send("GET", "/v1/entries?from=2&limit=3", "", &auditor_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  for (std::uint64_t index = 2; index < 5; ++index) {
    auto leaf = ledger_.store().ReadEntry(index);
    ASSERT_TRUE(leaf.ok());
    EXPECT_NE(answer.body.find("\"leaf\":\"" + crypto::Base64Encode(*leaf) + "\""), std::string::npos) << index;
  }
  EXPECT_EQ(Field(answer.body, "next"), "\"5\"");
  EXPECT_EQ(Field(answer.body, "size"), "\"" + std::to_string(size) + "\"");
}

TEST_F(ApiTest, TheLastPageEndsAtTheLogsSize) {
  const std::uint64_t size = ledger_.store().size();
  Answer answer = Send("GET", "/v1/entries?from=" + std::to_string(size - 1) + "&limit=1000", "", &auditor_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Field(answer.body, "next"), "\"" + std::to_string(size) + "\"");
}

TEST_F(ApiTest, APageLargerThanTheLimitIsBadRequest) {
  Answer answer = Send("GET", "/v1/entries?limit=1001", "", &auditor_);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("limit must be 1 to 1000"), std::string::npos) << answer.body;
}

TEST_F(ApiTest, UnknownPathIsNotFoundAndWrongMethodNotAllowed) {
  EXPECT_EQ(Send("GET", "/v1/nothing", "", &auditor_).status, 404);
  EXPECT_EQ(Send("DELETE", "/v1/balances", "", &auditor_).status, 405);
}

TEST_F(ApiTest, AClientThatDoesNotFinishItsRequestIsCutOff) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  asio::write(stream, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));  // Never ends.
  char byte = 0;
  beast::error_code ec;
  auto start = std::chrono::steady_clock::now();
  stream.expires_after(std::chrono::seconds(30));  // Only a guard: the server closes first.
  stream.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// Personal data: registered into the vault, read only after the read is logged.
class PersonApiTest : public ApiTest {
 protected:
  static constexpr const char* kIdNumber = "11010519491231002X";  // Valid (domain.md).
  static constexpr const char* kBankAccount = "6222020200112233445";
  static std::string PersonBody(const std::string& id_number = kIdNumber) {
    return std::string("{\"name\":\"张三\",\"id_number\":\"") + id_number + "\",\"bank_account\":\"" +
           kBankAccount + "\"}";
  }
  // Registers the person in the vault through the API and in the log; returns the subject id.
  std::string RegisterPerson() {
    Answer answer = Send("POST", "/v1/persons", PersonBody(), &wuyuan_);
    EXPECT_EQ(answer.status, 201) << answer.body;
    const std::string subject = vault_->SubjectId(kIdNumber);
    Event person = Person("person-1", subject);
    person.mutable_person_registered()->set_account_digest(vault_->AccountDigest(kBankAccount));
    EXPECT_TRUE(ledger_.Append(person, wuyuan_).ok());
    return subject;
  }
};

TEST_F(PersonApiTest, RegisteringAPersonAnswersTheirPseudonymsAndLogsNothing) {
  const std::uint64_t size = ledger_.store().size();
  Answer answer = Send("POST", "/v1/persons", PersonBody(), &wuyuan_);
  ASSERT_EQ(answer.status, 201) << answer.body;
  EXPECT_EQ(Field(answer.body, "subject_id"), "\"" + vault_->SubjectId(kIdNumber) + "\"");
  EXPECT_EQ(Field(answer.body, "account_digest"), "\"" + vault_->AccountDigest(kBankAccount) + "\"");
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(PersonApiTest, ABadIdNumberIsUnprocessable) {
  Answer answer = Send("POST", "/v1/persons", PersonBody("110105194912310021"), &wuyuan_);
  EXPECT_EQ(answer.status, 422);
  EXPECT_EQ(Field(answer.body, "code"), "\"invalid_identifier\"");
}

TEST_F(PersonApiTest, AnAuditorMayNotRegisterAPerson) {
  EXPECT_EQ(Send("POST", "/v1/persons", PersonBody(), &auditor_).status, 403);
}

TEST_F(PersonApiTest, AReadReleasesTheDataOnlyWithTheReadLogged) {
  const std::string subject = RegisterPerson();
  const std::uint64_t size = ledger_.store().size();
  const std::string event = ledger::SignEvent(PersonRead("read-1", subject), wuyuan_);
  Answer answer = Send("POST", "/v1/persons/read", EventBody(event), &wuyuan_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Field(answer.body, "name"), "\"张三\"");
  EXPECT_EQ(Field(answer.body, "id_number"), std::string("\"") + kIdNumber + "\"");
  EXPECT_EQ(Field(answer.body, "bank_account"), std::string("\"") + kBankAccount + "\"");
  EXPECT_NE(answer.body.find("\"index\":\"" + std::to_string(size) + "\""), std::string::npos) << answer.body;
  ASSERT_EQ(ledger_.store().size(), size + 1);
  auto entry = ledger_.store().ReadEntry(size);
  ASSERT_TRUE(entry.ok());
  ledger::v1::LogEntry logged;
  ASSERT_TRUE(logged.ParseFromString(*entry));
  EXPECT_EQ(logged.signed_event().SerializeAsString(), event);
}

TEST_F(PersonApiTest, AReadEventSignedByAnotherKeyIsRefused) {
  const std::string subject = RegisterPerson();
  const std::uint64_t size = ledger_.store().size();
  const std::string event = ledger::SignEvent(PersonRead("read-1", subject), wuyuan_);
  Answer answer = Send("POST", "/v1/persons/read", EventBody(event), &auditor_);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(Field(answer.body, "code"), "\"bad_signature\"");
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(PersonApiTest, AnErasedPersonIsGoneAndNothingIsLogged) {
  const std::string subject = RegisterPerson();
  ASSERT_TRUE(vault_->Erase(subject).ok());
  const std::uint64_t size = ledger_.store().size();
  const std::string event = ledger::SignEvent(PersonRead("read-1", subject), wuyuan_);
  Answer answer = Send("POST", "/v1/persons/read", EventBody(event), &wuyuan_);
  EXPECT_EQ(answer.status, 410);
  EXPECT_EQ(Field(answer.body, "code"), "\"erased\"");
  EXPECT_EQ(ledger_.store().size(), size);
}

// Pipelining: requests written back to back on one connection, answers read in order.
class PipelineTest : public ApiTest {
 protected:
  http::request<http::string_body> Request(const std::string& method, const std::string& target,
                                           const std::string& body, const crypto::SecretKey* key) {
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.body() = body;
    if (key != nullptr) {
      auto signature = api::SignRequest(*key, testing_ledger::kOrigin, method, target, NowMs(), body);
      request.set(std::string(api::kKeyHeader), signature.key_b64);
      request.set(std::string(api::kTimestampHeader), signature.timestamp);
      request.set(std::string(api::kSignatureHeader), signature.signature_b64);
    }
    request.prepare_payload();
    return request;
  }
  http::request<http::string_body> Payment(int i) {
    const std::string event = ledger::SignEvent(PayUnit("pipelined-" + std::to_string(i), 100), wuyuan_);
    return Request("POST", "/v1/events", EventBody(event), &wuyuan_);
  }

  // Connects `stream` and writes every request in one write.
  void WriteAll(beast::tcp_stream& stream, std::vector<http::request<http::string_body>>& requests) {
    std::string wire;
    for (auto& request : requests) {
      std::ostringstream out;
      out << request;
      wire += out.str();
    }
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    asio::write(stream, asio::buffer(wire));
  }

  // Writes every request in one write, then reads as many answers.
  std::vector<Answer> Pipeline(std::vector<http::request<http::string_body>>& requests) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    WriteAll(stream, requests);
    std::vector<Answer> answers;
    beast::flat_buffer buffer;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      http::response<http::string_body> response;
      beast::error_code ec;
      http::read(stream, buffer, response, ec);
      if (ec) {
        ADD_FAILURE() << "answer " << i << ": " << ec.message();
        break;
      }
      answers.push_back({static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                         response.body()});
    }
    return answers;
  }
};

TEST_F(PipelineTest, AnswersLeaveInRequestOrder) {
  const std::uint64_t size = ledger_.store().size();
  std::vector<http::request<http::string_body>> requests;
  requests.push_back(Payment(0));
  requests.push_back(Request("GET", "/healthz", "", nullptr));
  requests.push_back(Payment(1));
  requests.push_back(Request("GET", "/v1/balances", "", nullptr));  // Unsigned.
  requests.push_back(Payment(2));
  std::vector<Answer> answers = Pipeline(requests);
  ASSERT_EQ(answers.size(), 5u);
  EXPECT_EQ(answers[0].status, 201);
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[2].status, 201);
  EXPECT_EQ(answers[3].status, 401);
  EXPECT_EQ(answers[4].status, 201);
  EXPECT_EQ(Field(answers[0].body, "index"), "\"" + std::to_string(size) + "\"");
  EXPECT_EQ(Field(answers[2].body, "index"), "\"" + std::to_string(size + 1) + "\"");
  EXPECT_EQ(Field(answers[4].body, "index"), "\"" + std::to_string(size + 2) + "\"");
}

TEST_F(PipelineTest, MoreRequestsThanThePipelineHoldsAreAllAnsweredInOrder) {
  const std::size_t count = 3 * ledger::constants::http_pipeline_max + 1;
  const std::uint64_t size = ledger_.store().size();
  std::vector<http::request<http::string_body>> requests;
  for (std::size_t i = 0; i < count; ++i) requests.push_back(Payment(static_cast<int>(i)));
  std::vector<Answer> answers = Pipeline(requests);
  ASSERT_EQ(answers.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_EQ(answers[i].status, 201) << i << ": " << answers[i].body;
    // Submitted in order on one connection, appended in that order.
    EXPECT_EQ(Field(answers[i].body, "index"), "\"" + std::to_string(size + i) + "\"") << i;
  }
  EXPECT_EQ(ledger_.store().size(), size + count);
}

TEST_F(PipelineTest, NoRequestIsReadAfterOneThatClosesTheConnection) {
  std::vector<http::request<http::string_body>> requests;
  requests.push_back(Request("GET", "/healthz", "", nullptr));
  requests.back().keep_alive(false);
  requests.push_back(Payment(0));
  const std::uint64_t size = ledger_.store().size();
  asio::io_context io;
  beast::tcp_stream stream(io);
  WriteAll(stream, requests);
  beast::flat_buffer buffer;
  http::response<http::string_body> first;
  http::read(stream, buffer, first);
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_FALSE(first.keep_alive());
  http::response<http::string_body> second;
  beast::error_code ec;
  http::read(stream, buffer, second, ec);
  EXPECT_EQ(ec, http::error::end_of_stream) << ec.message();
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(PipelineTest, AnUnfinishedRequestBehindAnAnsweredOneIsCutOff) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  asio::write(stream, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                               "GET /healthz HTTP/1.1\r\nHost: x\r\n")));  // Never ends.
  stream.expires_after(std::chrono::seconds(30));  // Only a guard: the server closes first.
  beast::flat_buffer buffer;
  http::response<http::string_body> first;
  http::read(stream, buffer, first);
  EXPECT_EQ(first.result_int(), 200u);
  auto start = std::chrono::steady_clock::now();
  http::response<http::string_body> second;
  beast::error_code ec;
  http::read(stream, buffer, second, ec);
  EXPECT_EQ(ec, http::error::end_of_stream) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ApiTest, SixtyFourConcurrentSubmittersLoseAndDuplicateNothing) {
  constexpr int kSubmitters = 64, kEach = 5;
  const std::uint64_t before = ledger_.store().size();
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "doc-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string event = ledger::SignEvent(TestLedger::Document(id, kWuyuan), wuyuan_);
        Answer answer = Send("POST", "/v1/events", EventBody(event),
                             &wuyuan_);
        if (answer.status == 201) ++created;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created.load(), kSubmitters * kEach);
  EXPECT_EQ(ledger_.store().size(), before + kSubmitters * kEach);
  for (int t = 0; t < kSubmitters; ++t) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_TRUE(ledger_.store().FindEventId("doc-" + std::to_string(t) + "-" + std::to_string(i)).ok());
    }
  }
}

TEST_F(ApiTest, MetricsCountAppendsAndRejectionsByReason) {
  const std::string good = ledger::SignEvent(PayUnit("pay-1", 100), wuyuan_);
  const std::string bad = ledger::SignEvent(PayUnit("pay-2", 60'000'000), wuyuan_);
  ASSERT_EQ(Send("POST", "/v1/events", EventBody(good), &wuyuan_).status, 201);
  ASSERT_EQ(Send("POST", "/v1/events", EventBody(bad), &wuyuan_).status, 422);
  Answer metrics = Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("\nledger_appended_events_total 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nledger_rejections_total{code=\"overdraft\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nledger_append_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nledger_commit_write_seconds_count " + std::to_string(ledger_.store().stats().batches) + "\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("\nledger_log_size " + std::to_string(ledger_.store().size()) + "\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nledger_http_requests_total{class=\"4xx\"} 1\n"), std::string::npos);
}

TEST_F(ApiTest, MetricsCountSignedCheckpoints) {
  ASSERT_NO_FATAL_FAILURE(ledger_.WaitForFullCheckpoint());  // Then nothing more is signed.
  ASSERT_GT(ledger_.store().stats().checkpoints, 0u);
  const std::string checkpoints = std::to_string(ledger_.store().stats().checkpoints);
  Answer metrics = Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("\nledger_checkpoints_signed_total " + checkpoints + "\n"), std::string::npos)
      << metrics.body;
}

TEST_F(ApiTest, TheServedOpenApiFileIsTheDocsFileAndListsEveryRoute) {
  Answer answer = Send("GET", "/openapi.yaml");
  ASSERT_EQ(answer.status, 200);
  std::ifstream file(std::string(SOURCE_DIR) + "/docs/openapi.yaml", std::ios::binary);
  std::string docs((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(answer.body, docs);
  for (const auto& [method, path] : api::Api::RouteList()) {
    const bool prefix = path.back() == '/';
    EXPECT_NE(docs.find("\n  " + path + (prefix ? "" : ":")), std::string::npos) << method << " " << path;
  }
}

}  // namespace
