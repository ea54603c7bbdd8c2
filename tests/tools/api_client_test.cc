// ledgerctl's API client without a server: --server URLs and problem details read back into a
// Status. tests/tools/ledgerctl_server_test.cc runs the client against a server.
#include "tools/api_client.h"

#include <gtest/gtest.h>

namespace {

using ledger::Code;
using tools::HttpAnswer;
using tools::ParseServerUrl;
using tools::StatusFromAnswer;

TEST(ParseServerUrlTest, HostPortAndPrefix) {
  auto url = ParseServerUrl("http://ledger.example:8080/ledger/");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "ledger.example");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->prefix, "/ledger");
}

TEST(ParseServerUrlTest, PortDefaultsTo80AndABareSlashIsNoPrefix) {
  auto url = ParseServerUrl("HTTP://127.0.0.1/");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->prefix, "");
}

TEST(ParseServerUrlTest, Ipv6InBrackets) {
  auto url = ParseServerUrl("http://[::1]:9000");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");
}

TEST(ParseServerUrlTest, HttpsPortDefaultsTo443) {
  auto url = ParseServerUrl("https://ledger.example/ledger");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "ledger.example");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->prefix, "/ledger");
  auto plain = ParseServerUrl("http://127.0.0.1:8443");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, "8443");
}

TEST(ParseServerUrlTest, RefusesWhatIsNotAServerUrl) {
  for (const char* text : {"127.0.0.1:8080", "ftp://host", "https://", "https://user@host", "http://",
                           "http://:8080", "http://host:0", "http://host:65536", "http://host:80x", "http://::1:8080", "http://[::1",
                           "http://user@host", "http://host/a?b", "http://host/a#b", "http://host/a b"}) {
    SCOPED_TRACE(text);
    auto url = ParseServerUrl(text);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.status().code(), Code::kInvalidArgument);
  }
}

TEST(StatusFromAnswerTest, ProblemCodeAndDetail) {
  ledger::Status status = StatusFromAnswer(
      {422, "application/problem+json",
       R"({"type":"/problems/overdraft","title":"overdraft","status":422,"detail":"asks too much","code":"overdraft"})"});
  EXPECT_EQ(status.code(), Code::kOverdraft);
  EXPECT_EQ(status.message(), "asks too much");
}

TEST(StatusFromAnswerTest, UnknownCodeIsAnIoErrorNamingIt) {
  ledger::Status status = StatusFromAnswer({418, "application/problem+json", R"({"code":"teapot","detail":"d"})"});
  EXPECT_EQ(status.code(), Code::kIOError);
  EXPECT_EQ(status.message(), "server answered HTTP 418 with code 'teapot', unknown to this ledgerctl: d");
}

TEST(StatusFromAnswerTest, AnswerWithoutProblemDetailsIsAnIoError) {
  ledger::Status status = StatusFromAnswer({502, "text/html", "<html>Bad Gateway</html>"});
  EXPECT_EQ(status.code(), Code::kIOError);
  EXPECT_EQ(status.message(), "server answered HTTP 502 without problem details: <html>Bad Gateway</html>");
}

}  // namespace
