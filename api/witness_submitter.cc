#include "api/witness_submitter.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cassert>
#include <cstdint>
#include <iostream>
#include <optional>
#include <utility>

#include "crypto/merkle.h"
#include "ledger/constants.h"

namespace api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using ledger::Code;
using ledger::Result;
using ledger::Status;
using ledger::constants::witness_timeout_seconds;

struct Answer {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// One POST on a connection of its own; nullopt if the witness cannot be reached or a step
// times out.
std::optional<Answer> Post(const WitnessConfig& witness, const std::string& body) {
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(witness_timeout_seconds));
    stream.connect(resolver.resolve(witness.host, witness.port));
    http::request<http::string_body> request{http::verb::post, witness.prefix + "/add-checkpoint",
                                             11};
    request.set(http::field::host, witness.host);
    request.set(http::field::content_type, "text/plain; charset=utf-8");
    request.body() = body;
    request.prepare_payload();
    stream.expires_after(std::chrono::seconds(witness_timeout_seconds));
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(ledger::constants::witness_response_bytes_max);
    stream.expires_after(std::chrono::seconds(witness_timeout_seconds));
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const auto& response = parser.get();
    return Answer{response.result_int(), std::string(response[http::field::content_type]),
                  response.body()};
  } catch (const boost::system::system_error&) {
    return std::nullopt;  // Boost's errors stop here: the caller retries later.
  }
}

std::optional<std::uint64_t> ParseSizeAnswer(const std::string& body) {
  if (body.empty() || body.back() != '\n' || body.size() > 21) return std::nullopt;
  std::uint64_t size = 0;
  for (std::size_t i = 0; i + 1 < body.size(); ++i) {
    if (body[i] < '0' || body[i] > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(body[i] - '0');
    if (size > (UINT64_MAX - digit) / 10) return std::nullopt;
    size = size * 10 + digit;
  }
  if (body.size() > 2 && body[0] == '0') return std::nullopt;
  return size;
}

}  // namespace

Result<WitnessConfig> ParseWitnessFlag(std::string_view text) {
  const auto invalid = [](std::string problem) {
    return Status(Code::kInvalidArgument, "--witness: " + problem);
  };
  const std::size_t comma = text.find(',');
  if (comma == std::string_view::npos) return invalid("not of the form URL,KEY");
  std::string_view url = text.substr(0, comma);
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return invalid("the URL must start with http://");
  url.remove_prefix(kScheme.size());
  WitnessConfig config;
  const std::size_t slash = url.find('/');
  if (slash != std::string_view::npos) {
    config.prefix = std::string(url.substr(slash));
    url = url.substr(0, slash);
    while (!config.prefix.empty() && config.prefix.back() == '/') config.prefix.pop_back();
  }
  const std::size_t colon = url.rfind(':');
  config.host = std::string(url.substr(0, colon));
  config.port = colon == std::string_view::npos ? "80" : std::string(url.substr(colon + 1));
  if (config.host.empty() || config.port.empty() ||
      config.port.find_first_not_of("0123456789") != std::string::npos) {
    return invalid("the URL must be http://HOST[:PORT][/PREFIX]");
  }
  Result<crypto::CosignerKey> key = crypto::ParseCosignerKey(text.substr(comma + 1));
  if (!key.ok()) return invalid(key.status().message());
  config.key = std::move(*key);
  return config;
}

WitnessSubmitter::WitnessSubmitter(ledger::EventStore* store, std::vector<WitnessConfig> witnesses)
    : store_(store) {
  assert(witnesses.size() <= ledger::constants::witnesses_max);
  for (WitnessConfig& config : witnesses) {
    State state;
    state.config = std::move(config);
    states_.push_back(std::move(state));
  }
}

WitnessSubmitter::~WitnessSubmitter() { Stop(); }

void WitnessSubmitter::Start() {
  assert(!thread_.joinable());
  thread_ = std::thread([this] { Run(); });
}

void WitnessSubmitter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string WitnessSubmitter::Cosignatures(std::string_view checkpoint_text) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string lines;
  for (const State& state : states_) {
    if (!state.cosignature.empty() && state.cosigned_text == checkpoint_text) {
      lines += state.cosignature;
    }
  }
  return lines;
}

std::vector<std::pair<std::string, std::uint64_t>> WitnessSubmitter::CosignedSizes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, std::uint64_t>> sizes;
  for (const State& state : states_) sizes.emplace_back(state.config.key.name, state.cosigned_size);
  return sizes;
}

void WitnessSubmitter::Run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(ledger::constants::witness_poll_interval_ms),
                     [this] { return stopping_; });
      if (stopping_) return;
    }
    // The latest checkpoint only: older ones are never queued, so a witness catches up in one
    // submission however many checkpoints it missed.
    const std::string note = store_->checkpoint();
    Result<crypto::ParsedNote> parsed = crypto::ParseNote(note);
    assert(parsed.ok());  // The store signed it.
    Result<crypto::Checkpoint> checkpoint = crypto::ParseCheckpoint(parsed->text);
    assert(checkpoint.ok());
    for (State& state : states_) {
      if (state.cosigned_text == parsed->text) continue;
      if (std::chrono::steady_clock::now() < state.retry_after) continue;
      Submit(&state, note, *checkpoint, parsed->text);
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
  }
}

void WitnessSubmitter::Submit(State* state, const std::string& note,
                              const crypto::Checkpoint& checkpoint, const std::string& text) {
  const auto fail = [state](const std::string& why) {
    std::cerr << "ledgerd: witness " << state->config.key.name << ": " << why << "\n";
    state->retry_after = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(ledger::constants::witness_retry_interval_ms);
  };
  // A first try, and one more after a 409 that names the witness's size.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::uint64_t old_size = state->known_size;
    if (old_size > checkpoint.size) return fail("it holds a larger tree than this log");
    std::vector<crypto::Hash> proof;
    if (old_size != 0 && old_size != checkpoint.size) {
      auto nodes = [this](std::uint8_t level, std::uint64_t index) {
        return store_->TreeNode(level, index);
      };
      std::optional<std::vector<crypto::Hash>> computed =
          crypto::ConsistencyProofFromNodes(old_size, checkpoint.size, nodes);
      if (!computed) return fail("a tree node could not be read for the consistency proof");
      proof = std::move(*computed);
    }
    std::string body = "old " + std::to_string(old_size) + "\n";
    for (const crypto::Hash& hash : proof) {
      body += crypto::Base64Encode(crypto::AsBytes(hash)) + "\n";
    }
    body += "\n" + note;
    std::optional<Answer> answer = Post(state->config, body);
    if (!answer) return fail("unreachable or timed out");
    if (answer->status == 409 && answer->content_type == "text/x.tlog.size") {
      std::optional<std::uint64_t> size = ParseSizeAnswer(answer->body);
      if (!size) return fail("409 with a malformed size");
      state->known_size = *size;
      continue;
    }
    if (answer->status != 200) {
      return fail("answered " + std::to_string(answer->status) + ": " +
                  answer->body.substr(0, 200));
    }
    Result<crypto::FoundCosignature> found =
        crypto::FindCosignature(text + "\n" + answer->body, state->config.key);
    if (!found.ok()) {
      return fail("its answer holds no valid cosignature: " + found.status().ToString());
    }
    state->known_size = checkpoint.size;
    std::lock_guard<std::mutex> lock(mutex_);
    state->cosigned_text = text;
    state->cosignature = std::move(found->line);
    state->cosigned_size = checkpoint.size;
    return;
  }
  fail("409 twice");
}

}  // namespace api
