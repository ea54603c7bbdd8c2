#include "tools/commands.h"

#include <google/protobuf/util/json_util.h>

#include <cassert>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

#include "crypto/note.h"
#include "ledger/constants.h"
#include "ledger/event_signer.h"
#include "ledger/api.pb.h"
#include "ledger/event_store.h"
#include "ledger/log_reader.h"
#include "ledger/replayer.h"
#include "replay/bundle.h"
#include "replay/verifier.h"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/demo.h"
#include "tools/event_json.h"
#include "tools/roster_csv.h"

namespace tools {

namespace {

int Fail(const ledger::Status& status) {
  std::cerr << "error: " << status.ToString() << "\n";
  return ExitCodeFor(status);
}

int Usage(const std::string& message) {
  std::cerr << "error: " << message << " (see --help)\n";
  return kExitUsage;
}

// Parses flags, checking that only `known` appear and that `required` are present.
std::optional<Args> ParseFlags(const std::vector<std::string>& argv,
                               const std::vector<std::string>& known,
                               const std::vector<std::string>& required,
                               const std::vector<std::string>& switches = {}) {
  auto args = Args::Parse(argv, switches);
  if (!args || !args->OnlyKnown(known)) return std::nullopt;
  for (const std::string& name : required) {
    if (!args->Has(name)) {
      std::cerr << "error: --" << name << " is required (see --help)\n";
      return std::nullopt;
    }
  }
  return args;
}

// Where a command finds its ledger: a data directory it opens itself (--data) or a running
// ledgerd it talks to over HTTP (--server). Prints a usage error and returns nullopt for both.
enum class Where { kData, kServer };
std::optional<Where> WhereFrom(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {});
  if (!args) return std::nullopt;
  if (args->Has("server") && args->Has("data")) {
    Usage("--server and --data are mutually exclusive");
    return std::nullopt;
  }
  return args->Has("server") ? Where::kServer : Where::kData;
}

// The flags every --server form takes, before the command's own.
std::vector<std::string> ServerFlags(std::vector<std::string> more = {}) {
  more.insert(more.begin(), {"server", "key", "origin", "ca"});
  return more;
}

// What --server, --origin and --ca name, checked before any file is read. kInvalidArgument (a
// usage error) for a bad URL or origin, or --ca without https://.
struct ServerTarget {
  ServerUrl url;
  std::string origin;                // Empty: ApiClient fetches it from the server.
  std::string trusted_certificates;  // --ca; empty: the system's trust store.
};
ledger::Result<ServerTarget> ServerTargetFrom(const Args& args) {
  auto url = ParseServerUrl(*args.Get("server"));
  if (!url.ok()) return url.status();
  std::string origin = args.GetOr("origin", "");
  if (args.Has("origin") && !crypto::IsValidKeyName(origin)) {
    return ledger::Status(ledger::Code::kInvalidArgument, "--origin must be non-empty, with no spaces and no '+'");
  }
  std::string trusted_certificates = args.GetOr("ca", "");
  if (args.Has("ca") && (!url->tls || trusted_certificates.empty())) {
    return ledger::Status(ledger::Code::kInvalidArgument,
                          "--ca names a PEM file of trusted certificates for an https:// server");
  }
  return ServerTarget{std::move(*url), std::move(origin), std::move(trusted_certificates)};
}

// --- keygen ---------------------------------------------------------------------------------

int Keygen(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"name", "out"}, {"name", "out"});
  if (!args) return kExitUsage;
  std::string name = *args->Get("name");
  if (!crypto::IsValidKeyName(name)) return Usage("--name must have no spaces and no '+'");
  crypto::SecretKey key = crypto::SecretKey::Generate();
  std::string out = *args->Get("out");
  if (ledger::Status s = crypto::WriteKeyFiles(out, name, key); !s.ok()) return Fail(s);
  std::cout << crypto::FormatVerifierKey(name, key.public_key()) << "\n";
  std::cerr << "wrote " << out << " (secret, mode 0600) and " << out << ".pub\n";
  return kExitOk;
}

// --- init -----------------------------------------------------------------------------------

int Init(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"data", "origin", "admin", "admin-region"}, {"data", "origin", "admin"});
  if (!args) return kExitUsage;
  auto admin = crypto::ReadVerifierKeyFile(*args->Get("admin"));
  if (!admin.ok()) return Fail(admin.status());
  ledger::CreateOptions options;
  options.data_dir = *args->Get("data");
  options.origin = *args->Get("origin");
  options.first_admin.set_name(admin->name);
  options.first_admin.set_public_key(std::string(crypto::AsBytes(admin->key)));
  options.first_admin.set_role(ledger::v1::ROLE_ADMIN);
  options.first_admin.set_region_code(args->GetOr("admin-region", ""));
  if (ledger::Status s = ledger::EventStore::Create(options); !s.ok()) return Fail(s);
  auto reader = ledger::LogReader::Open(options.data_dir);
  if (!reader.ok()) return Fail(reader.status());
  std::cout << (*reader)->checkpoint();
  std::cerr << "created ledger '" << options.origin << "' in " << options.data_dir
            << "; log verifier key in " << ledger::LogPublicKeyPath(options.data_dir) << "\n";
  return kExitOk;
}

// --- append and roster ----------------------------------------------------------------------

int PrintReceipt(const ledger::Receipt& receipt) {
  std::cout << "{\"index\":" << receipt.index << ",\"entry_hash\":\""
            << crypto::HexEncode(crypto::AsBytes(receipt.entry_hash))
            << "\",\"duplicate\":" << (receipt.duplicate ? "true" : "false") << "}\n";
  return kExitOk;
}

// The events of a roster file, one JSON event per line (blank lines skipped), for `origin`.
ledger::Result<std::vector<ledger::v1::Event>> JsonLinesRosterEvents(const std::string& text,
                                                                     const std::string& origin) {
  std::vector<ledger::v1::Event> events;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto event = EventFromJson(line, origin);
    if (!event.ok()) {
      return ledger::Status(event.status().code(), "line " + std::to_string(number) + ": " + event.status().message());
    }
    events.push_back(std::move(*event));
  }
  return events;
}

// How a roster file is written: JSON lines of events, or the CSV export of a finance office's
// spreadsheet (tools/roster_csv.h), by --format or else by the file's extension.
enum class RosterFormat { kJsonLines, kCsv };

// The flags only a CSV roster takes: what its rows share when the file has no column for it.
const std::vector<std::string> kRosterCsvFlags = {"period", "pay-date", "document"};

std::optional<RosterFormat> RosterFormatFrom(const Args& args) {
  std::string format = args.GetOr("format", "");
  if (format.empty()) {
    const std::string& path = args.positional()[0];
    const bool csv = path.size() >= 4 && (path.compare(path.size() - 4, 4, ".csv") == 0 ||
                                          path.compare(path.size() - 4, 4, ".CSV") == 0);
    format = csv ? "csv" : "jsonl";
  }
  if (format != "csv" && format != "jsonl") {
    Usage("--format must be csv or jsonl");
    return std::nullopt;
  }
  if (format == "jsonl") {
    for (const std::string& flag : kRosterCsvFlags) {
      if (args.Has(flag)) {
        Usage("--" + flag + " applies to CSV rosters only (FILE.csv or --format csv)");
        return std::nullopt;
      }
    }
    return RosterFormat::kJsonLines;
  }
  return RosterFormat::kCsv;
}

// The events of a roster file for the ledger `origin` names. A CSV file is read and checked
// whole before `origin` is called (with --server, the first request to the server); each of its
// problems is printed to stderr as `error: line N: <reason>`, and then the file is refused.
using OriginSource = std::function<ledger::Result<std::string>()>;
ledger::Result<std::vector<ledger::v1::Event>> RosterEvents(const Args& args, RosterFormat format,
                                                            const std::string& text, const OriginSource& origin) {
  if (format == RosterFormat::kJsonLines) {
    auto name = origin();
    if (!name.ok()) return name.status();
    return JsonLinesRosterEvents(text, *name);
  }
  RosterCsvOptions options;
  options.timestamp_ms = NowMs();
  options.roster_id = args.GetOr("roster-id", "");
  options.period = args.GetOr("period", "");
  options.pay_date = args.GetOr("pay-date", "");
  options.document_number = args.GetOr("document", "");
  RosterCsv csv = ReadRosterCsv(text, options);
  if (!csv.problems.empty()) {
    std::set<std::size_t> lines;
    for (const RosterCsvProblem& problem : csv.problems) {
      std::cerr << "error: line " << problem.line << ": " << problem.message << "\n";
      lines.insert(problem.line);
    }
    return ledger::Status(ledger::Code::kMalformed,
                          (args.positional()[0] == "-" ? "stdin" : args.positional()[0]) + ": " +
                              std::to_string(csv.problems.size()) + " problem" +
                              (csv.problems.size() == 1 ? "" : "s") + " on " + std::to_string(lines.size()) +
                              " line" + (lines.size() == 1 ? "" : "s") + "; nothing was signed");
  }
  auto name = origin();
  if (!name.ok()) return name.status();
  for (ledger::v1::Event& event : csv.events) event.set_origin(*name);
  return std::move(csv.events);
}

ledger::v1::RosterHeader RosterHeaderFor(const Args& args, const std::string& origin) {
  ledger::v1::RosterHeader header;
  header.set_origin(origin);
  header.set_roster_id(args.GetOr("roster-id", RandomId()));
  header.set_timestamp_ms(NowMs());
  header.set_title(args.GetOr("title", ""));
  return header;
}

// The body of POST /v1/events or /v1/rosters: {"<field>":"<base64>"}.
std::string AppendBody(std::string_view field, std::string_view signed_bytes) {
  return "{\"" + std::string(field) + "\":\"" + crypto::Base64Encode(signed_bytes) + "\"}";
}

// The signing key of --key and a client of --server signing with it (the client holds the key
// by reference, so both live here).
struct ServerConnection {
  std::unique_ptr<crypto::NamedSecretKey> key;
  std::unique_ptr<ApiClient> client;
};

ledger::Result<ServerConnection> ConnectToServer(const Args& args) {
  auto server = ServerTargetFrom(args);
  if (!server.ok()) return server.status();
  auto key = crypto::ReadSignerKeyFile(*args.Get("key"));
  if (!key.ok()) return key.status();
  ServerConnection connection;
  connection.key = std::make_unique<crypto::NamedSecretKey>(std::move(*key));
  connection.client = std::make_unique<ApiClient>(server->url, connection.key->key);
  connection.client->SetOrigin(server->origin);
  connection.client->SetTrustedCertificates(server->trusted_certificates);
  return connection;
}

int AppendViaServer(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, ServerFlags(), {"server", "key"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("append takes one FILE.json or -");
  auto connection = ConnectToServer(*args);
  if (!connection.ok()) return Fail(connection.status());
  ApiClient& client = *connection->client;
  auto json = ReadInput(args->positional()[0], ledger::constants::json_input_bytes_max);
  if (!json.ok()) return Fail(json.status());
  auto origin = client.Origin();
  if (!origin.ok()) return Fail(origin.status());
  auto event = EventFromJson(*json, *origin);
  if (!event.ok()) return Fail(event.status());
  auto answer = client.Call("POST", "/v1/events", AppendBody("signed_event", ledger::SignEvent(*event, connection->key->key)));
  if (!answer.ok()) return Fail(answer.status());
  auto receipt = ReceiptFromAppendAnswer(*answer);
  if (!receipt.ok()) return Fail(receipt.status());
  return PrintReceipt(*receipt);
}

int Append(const std::vector<std::string>& argv) {
  std::optional<Where> where = WhereFrom(argv);
  if (!where) return kExitUsage;
  if (*where == Where::kServer) return AppendViaServer(argv);
  auto args = ParseFlags(argv, {"data", "key"}, {"data", "key"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("append takes one FILE.json or -");
  auto key = crypto::ReadSignerKeyFile(*args->Get("key"));
  if (!key.ok()) return Fail(key.status());
  auto json = ReadInput(args->positional()[0], ledger::constants::json_input_bytes_max);
  if (!json.ok()) return Fail(json.status());
  auto store = ledger::EventStore::Open({*args->Get("data"), 1, {}});
  if (!store.ok()) return Fail(store.status());
  auto event = EventFromJson(*json, (*store)->origin());
  if (!event.ok()) return Fail(event.status());
  auto receipt = (*store)->Append(ledger::SignEvent(*event, key->key));
  if (!receipt.ok()) return Fail(receipt.status());
  if (ledger::Status s = (*store)->Close(); !s.ok()) return Fail(s);
  return PrintReceipt(*receipt);
}

ledger::Result<std::string> ReadRosterInput(const Args& args, RosterFormat format) {
  using ledger::constants::json_input_bytes_max, ledger::constants::roster_events_max;
  return ReadInput(args.positional()[0], format == RosterFormat::kCsv ? ledger::constants::roster_csv_bytes_max
                                                                      : roster_events_max * json_input_bytes_max);
}

// The flags of `roster`, after --data or the server flags.
std::vector<std::string> RosterFlags(std::vector<std::string> flags) {
  for (const char* flag : {"title", "roster-id", "format"}) flags.push_back(flag);
  flags.insert(flags.end(), kRosterCsvFlags.begin(), kRosterCsvFlags.end());
  return flags;
}

int RosterViaServer(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, ServerFlags(RosterFlags({})), {"server", "key"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("roster takes one FILE.jsonl, FILE.csv or -");
  std::optional<RosterFormat> format = RosterFormatFrom(*args);
  if (!format) return kExitUsage;
  auto connection = ConnectToServer(*args);
  if (!connection.ok()) return Fail(connection.status());
  ApiClient& client = *connection->client;
  auto text = ReadRosterInput(*args, *format);
  if (!text.ok()) return Fail(text.status());
  auto events = RosterEvents(*args, *format, *text, [&client] { return client.Origin(); });
  if (!events.ok()) return Fail(events.status());
  auto origin = client.Origin();  // Fetched by now.
  if (!origin.ok()) return Fail(origin.status());
  const std::string roster = ledger::SignRoster(RosterHeaderFor(*args, *origin), *events, connection->key->key);
  auto answer = client.Call("POST", "/v1/rosters", AppendBody("signed_roster", roster));
  if (!answer.ok()) return Fail(answer.status());
  auto receipts = ReceiptsFromRosterAnswer(*answer);
  if (!receipts.ok()) return Fail(receipts.status());
  for (const ledger::Receipt& receipt : *receipts) PrintReceipt(receipt);
  return kExitOk;
}

int Roster(const std::vector<std::string>& argv) {
  std::optional<Where> where = WhereFrom(argv);
  if (!where) return kExitUsage;
  if (*where == Where::kServer) return RosterViaServer(argv);
  auto args = ParseFlags(argv, RosterFlags({"data", "key"}), {"data", "key"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("roster takes one FILE.jsonl, FILE.csv or -");
  std::optional<RosterFormat> format = RosterFormatFrom(*args);
  if (!format) return kExitUsage;
  auto key = crypto::ReadSignerKeyFile(*args->Get("key"));
  if (!key.ok()) return Fail(key.status());
  auto text = ReadRosterInput(*args, *format);
  if (!text.ok()) return Fail(text.status());
  auto store = ledger::EventStore::Open({*args->Get("data"), 0, {}});
  if (!store.ok()) return Fail(store.status());
  auto events = RosterEvents(*args, *format, *text, [&store]() -> ledger::Result<std::string> { return (*store)->origin(); });
  if (!events.ok()) return Fail(events.status());
  auto receipts = (*store)->AppendRoster(ledger::SignRoster(RosterHeaderFor(*args, (*store)->origin()), *events, key->key));
  if (!receipts.ok()) return Fail(receipts.status());
  if (ledger::Status s = (*store)->Close(); !s.ok()) return Fail(s);
  for (const ledger::Receipt& receipt : *receipts) PrintReceipt(receipt);
  return kExitOk;
}

// --- get, tail, checkpoint ------------------------------------------------------------------

// An origin-form request-target: '/', then no spaces or control characters (HTTP forbids them
// on the request line; percent-encode them).
bool IsRequestPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  return std::none_of(path.begin(), path.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

int GetViaServer(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, ServerFlags(), {"server", "key"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("get --server takes one PATH");
  const std::string& path = args->positional()[0];
  if (!IsRequestPath(path)) {
    return Usage("PATH must start with '/' and have no spaces (percent-encode them), like /v1/balances?region=150821");
  }
  auto connection = ConnectToServer(*args);
  if (!connection.ok()) return Fail(connection.status());
  ApiClient& client = *connection->client;
  auto body = client.Call("GET", path);
  if (!body.ok()) return Fail(body.status());
  std::cout << *body;
  if (!body->empty() && body->back() != '\n') std::cout << "\n";
  return kExitOk;
}

int Get(const std::vector<std::string>& argv) {
  std::optional<Where> where = WhereFrom(argv);
  if (!where) return kExitUsage;
  if (*where == Where::kServer) return GetViaServer(argv);
  auto args = ParseFlags(argv, {"data"}, {"data"});
  if (!args) return kExitUsage;
  if (args->positional().size() != 1) return Usage("get takes one INDEX");
  std::optional<std::uint64_t> index = ParseUint(args->positional()[0]);
  if (!index) return Usage("INDEX must be a non-negative integer");
  auto reader = ledger::LogReader::Open(*args->Get("data"));
  if (!reader.ok()) return Fail(reader.status());
  auto bytes = (*reader)->Read(*index);
  if (!bytes.ok()) return Fail(bytes.status());
  auto json = EntryToJson(*bytes);
  if (!json.ok()) return Fail(json.status());
  std::cout << *json << "\n";
  return kExitOk;
}

int Tail(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"data", "count"}, {"data"});
  if (!args) return kExitUsage;
  std::optional<std::uint64_t> count = ParseUint(args->GetOr("count", "10"));
  if (!count) return Usage("--count must be a non-negative integer");
  auto reader = ledger::LogReader::Open(*args->Get("data"));
  if (!reader.ok()) return Fail(reader.status());
  auto end = (*reader)->EndIndex();
  if (!end.ok()) return Fail(end.status());
  std::uint64_t from = *end > *count ? *end - *count : 0;
  ledger::Status failure;
  ledger::Status status = (*reader)->Scan(from, [&](std::uint64_t, std::string_view bytes) {
    auto json = EntryToJson(bytes);
    if (!json.ok()) {
      failure = json.status();
      return false;
    }
    std::cout << *json << "\n";
    return true;
  });
  if (!status.ok()) return Fail(status);
  if (!failure.ok()) return Fail(failure);
  return kExitOk;
}

// --- verify ---------------------------------------------------------------------------------

// Runs the verifier over `source` with a progress line; prints `FAILED at index I` for a log
// that fails. Returns the report of a log that passed, or the exit code otherwise.
std::variant<replay::VerifyReport, int> RunVerifier(const replay::EntrySource& source, replay::VerifyOptions options,
                                                    const Args& args,
                                                    std::optional<std::uint64_t> prefix_size = std::nullopt) {
  std::optional<std::uint64_t> threads = ParseUint(args.GetOr("threads", "0"));
  if (!threads || *threads > 1024) return Usage("--threads must be an integer from 0 (one per core) to 1024");
  options.threads = *threads;
  std::optional<Progress> progress;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress.emplace("verify", total);
    progress->Update(done);
  };
  auto report = replay::VerifyEntries(source, options, prefix_size);
  if (progress) progress->Finish();
  if (!report.ok()) return Fail(report.status());
  if (!report->ok()) {
    std::cout << "FAILED at index "
              << (report->first_bad_index ? std::to_string(*report->first_bad_index) : "-") << ": "
              << report->problem.ToString() << "\n";
    std::cout << "entries verified before it: " << report->entries_verified << "\n";
    return kExitFailed;
  }
  std::cout << "ok: " << report->entries_verified << " entries verified\n";
  if (report->entries_after_checkpoint > 0) {
    std::cout << "the signed checkpoint covers the first " << report->checkpoint_size << "; the last "
              << report->entries_after_checkpoint << " wait for the next checkpoint\n";
  }
  std::cout << "root: " << crypto::Base64Encode(crypto::AsBytes(report->root)) << "\n"
            << "projection digest: " << crypto::HexEncode(crypto::AsBytes(report->projection_digest)) << "\n";
  return std::move(*report);
}

std::string Base64(const crypto::Hash& hash) { return crypto::Base64Encode(crypto::AsBytes(hash)); }

// The checkpoint an auditor kept from an earlier visit (--since FILE): signed by the log key,
// for the log key's origin. Errors name the file.
ledger::Result<crypto::Checkpoint> KeptCheckpoint(const std::string& path, const crypto::VerifierKey& log_key) {
  auto note = ReadInput(path, ledger::constants::origin_bytes_max + 4096);
  if (!note.ok()) return note.status();
  auto text = crypto::OpenNote(*note, log_key);
  if (!text.ok()) return ledger::Status(text.status().code(), "--since " + path + ": " + text.status().message());
  auto checkpoint = crypto::ParseCheckpoint(*text);
  if (!checkpoint.ok()) return ledger::Status(checkpoint.status().code(), "--since " + path + ": " + checkpoint.status().message());
  if (checkpoint->origin != log_key.name) {
    return ledger::Status(ledger::Code::kWrongOrigin, "--since " + path + ": checkpoint of '" + checkpoint->origin +
                                                          "', not of '" + log_key.name + "'");
  }
  return std::move(*checkpoint);
}

// verify --bundle: the whole log of an audit bundle against the auditor's copy of the log key,
// and with --since, that it extends the checkpoint the auditor kept.
int VerifyBundle(const Args& args) {
  if (!args.Has("log-key")) return Usage("verify --bundle needs --log-key FILE, your own copy of the log's verifier key");
  auto log_key = crypto::ReadVerifierKeyFile(*args.Get("log-key"));
  if (!log_key.ok()) return Fail(log_key.status());
  std::optional<crypto::Checkpoint> kept;
  if (args.Has("since")) {
    auto checkpoint = KeptCheckpoint(*args.Get("since"), *log_key);
    if (!checkpoint.ok()) return Fail(checkpoint.status());
    kept = std::move(*checkpoint);
  }
  auto reader = replay::BundleReader::Open(*args.Get("bundle"));
  if (!reader.ok()) return Fail(reader.status());
  replay::VerifyOptions options;
  options.log_key = *log_key;
  // The bundle's checkpoint is verified by the walk; its size here only bounds the prefix asked for.
  auto bundle_checkpoint = replay::UnverifiedCheckpoint((*reader)->checkpoint());
  std::optional<std::uint64_t> prefix_size;
  if (kept && bundle_checkpoint.ok() && kept->size <= bundle_checkpoint->size) prefix_size = kept->size;
  auto verified = RunVerifier(**reader, options, args, prefix_size);
  if (const int* code = std::get_if<int>(&verified)) return *code;
  const replay::VerifyReport& report = std::get<replay::VerifyReport>(verified);
  if (!kept) return kExitOk;
  if (kept->size > report.checkpoint_size) {
    std::cout << "FAILED: the bundle (size " << report.checkpoint_size << ") is older than the checkpoint kept (size "
              << kept->size << ", root " << Base64(kept->root) << "): export a newer bundle\n";
    return kExitFailed;
  }
  assert(report.prefix_root.has_value());  // Asked for a prefix no larger than the verified log.
  if (!crypto::ConstantTimeEqual(*report.prefix_root, kept->root)) {
    std::cout << "FORKED or REWRITTEN since the checkpoint kept: it has size " << kept->size << " and root "
              << Base64(kept->root) << ", but the first " << kept->size << " entries of the bundle's log (size "
              << report.checkpoint_size << ", root " << Base64(report.root) << ") have root "
              << Base64(*report.prefix_root) << "\n";
    return kExitForked;
  }
  std::cout << "consistent with the checkpoint kept: size " << kept->size << ", root " << Base64(kept->root) << "\n";
  return kExitOk;
}

int Verify(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"data", "bundle", "log-key", "since", "threads"}, {});
  if (!args) return kExitUsage;
  if (args->Has("data") && args->Has("bundle")) return Usage("verify takes --data DIR or --bundle BUNDLE, not both");
  // The message every command gives for a missing required flag; --data is verify's first form.
  if (!args->Has("data") && !args->Has("bundle")) return Usage("--data is required");
  if (args->Has("bundle")) return VerifyBundle(*args);
  if (args->Has("since")) return Usage("--since applies to --bundle");
  std::string data = *args->Get("data");
  auto log_key = crypto::ReadVerifierKeyFile(args->GetOr("log-key", ledger::LogPublicKeyPath(data)));
  if (!log_key.ok()) return Fail(log_key.status());
  auto reader = ledger::LogReader::Open(data);
  if (!reader.ok()) return Fail(reader.status());
  replay::VerifyOptions options;
  options.log_key = *log_key;
  auto verified = RunVerifier(replay::StoreSource(reader->get()), options, *args);
  reader->reset();
  if (const int* code = std::get_if<int>(&verified)) return *code;
  const replay::VerifyReport& report = std::get<replay::VerifyReport>(verified);
  // The stored projections (what queries read) must be exactly what the log replays to.
  auto stored = ledger::StoredProjectionDigest(data);
  if (!stored.ok()) return Fail(stored.status());
  if (*stored != report.projection_digest) {
    std::cout << "FAILED: the stored projections differ from the log's replay (stored digest "
              << crypto::HexEncode(crypto::AsBytes(*stored)) << "); run ledgerctl rebuild\n";
    return kExitFailed;
  }
  return kExitOk;
}

// --- export ---------------------------------------------------------------------------------

// The verifier key line as log.pub holds it, the same whether read from DIR/log.pub or from the
// server's GET /v1/log-key, so both exports of one log are byte-identical.
ledger::Result<std::string> LogKeyLine(std::string_view text) {
  std::string line(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  auto key = crypto::ParseVerifierKey(line);
  if (!key.ok()) return key.status();
  return crypto::FormatVerifierKey(key->name, key->key) + "\n";
}

int PrintExported(const std::string& out, const std::string& checkpoint_note) {
  auto checkpoint = replay::UnverifiedCheckpoint(checkpoint_note);
  if (!checkpoint.ok()) return Fail(checkpoint.status());
  std::cout << "wrote " << out << ": " << checkpoint->size << " entries of '" << checkpoint->origin
            << "', root " << Base64(checkpoint->root) << "\n";
  return kExitOk;
}

// Fetches entries as pages of GET /v1/entries?from=&limit= on `connections_max` connections at
// once, each with a client of its own (ApiClient is one thread at a time; the key is shared
// read-only): each call's range is split into one page per connection.
class ServerEntryFetcher {
 public:
  ServerEntryFetcher(const ServerTarget& target, const crypto::SecretKey& key, const std::string& origin,
                     std::size_t connections_max) {
    for (std::size_t i = 0; i < connections_max; ++i) {
      auto& client = clients_.emplace_back(std::make_unique<ApiClient>(target.url, key));
      client->SetOrigin(origin);
      client->SetTrustedCertificates(target.trusted_certificates);
    }
  }

  ledger::Status Fetch(std::uint64_t first, std::uint64_t count, std::vector<std::string>* entries) {
    entries->assign(count, std::string());
    const std::uint64_t per_page = std::min<std::uint64_t>(
        ledger::constants::entries_page_max, (count + clients_.size() - 1) / clients_.size());
    std::vector<ledger::Status> failures(clients_.size());
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < clients_.size(); ++t) {
      workers.emplace_back([&, t] {
        for (std::uint64_t from = t * per_page; from < count && failures[t].ok(); from += clients_.size() * per_page) {
          failures[t] = FetchPage(*clients_[t], first + from, std::min(per_page, count - from),
                                  entries->data() + from);
        }
      });
    }
    for (auto& worker : workers) worker.join();
    for (ledger::Status& failure : failures) {
      if (!failure.ok()) return failure;
    }
    return ledger::Status::Ok();
  }

 private:
  // Entries from .. from + count - 1 into out[0 .. count - 1]: every one, in order, with its leaf.
  static ledger::Status FetchPage(ApiClient& client, std::uint64_t from, std::uint64_t count, std::string* out) {
    const std::string target = "/v1/entries?from=" + std::to_string(from) + "&limit=" + std::to_string(count);
    auto body = client.Call("GET", target);
    if (!body.ok()) return ledger::Status(body.status().code(), "entries from " + std::to_string(from) + ": " + body.status().message());
    ledger::api::v1::Entries page;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    bool good = google::protobuf::util::JsonStringToMessage(*body, &page, options).ok() &&
                static_cast<std::uint64_t>(page.entries_size()) == count;
    for (std::uint64_t i = 0; good && i < count; ++i) {
      const auto& entry = page.entries(static_cast<int>(i));
      auto leaf = crypto::Base64Decode(entry.leaf());
      good = leaf && entry.index() == from + i;
      if (good) out[i] = std::move(*leaf);
    }
    if (!good) {
      return ledger::Status(ledger::Code::kIOError, "GET " + target + " did not answer those entries with their leaves in base64");
    }
    return ledger::Status::Ok();
  }

  std::vector<std::unique_ptr<ApiClient>> clients_;
};

int ExportViaServer(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, ServerFlags({"out", "connections"}), {"server", "key", "out"});
  if (!args) return kExitUsage;
  std::optional<std::uint64_t> connections = ParseUint(args->GetOr("connections", "4"));
  if (!connections || *connections == 0 || *connections > ledger::constants::export_connections_max) {
    return Usage("--connections must be an integer from 1 to " + std::to_string(ledger::constants::export_connections_max));
  }
  auto target = ServerTargetFrom(*args);
  if (!target.ok()) return Fail(target.status());
  auto connection = ConnectToServer(*args);
  if (!connection.ok()) return Fail(connection.status());
  ApiClient& client = *connection->client;
  // The checkpoint first: the bundle holds exactly the entries it covers.
  auto checkpoint = client.Call("GET", "/checkpoint");
  if (!checkpoint.ok()) return Fail(checkpoint.status());
  auto log_key = client.Call("GET", "/v1/log-key");
  if (!log_key.ok()) return Fail(log_key.status());
  auto log_key_line = LogKeyLine(*log_key);
  if (!log_key_line.ok()) return Fail(ledger::Status(ledger::Code::kIOError, "GET /v1/log-key: " + log_key_line.status().message()));
  auto origin = client.Origin();
  if (!origin.ok()) return Fail(origin.status());
  ServerEntryFetcher fetcher(*target, connection->key->key, *origin, *connections);
  ledger::Status status = replay::WriteBundle(
      *args->Get("out"), *checkpoint, *log_key_line,
      [&](std::uint64_t first, std::uint64_t count, std::vector<std::string>* entries) {
        return fetcher.Fetch(first, count, entries);
      });
  if (!status.ok()) return Fail(status);
  return PrintExported(*args->Get("out"), *checkpoint);
}

int Export(const std::vector<std::string>& argv) {
  std::optional<Where> where = WhereFrom(argv);
  if (!where) return kExitUsage;
  if (*where == Where::kServer) return ExportViaServer(argv);
  auto args = ParseFlags(argv, {"data", "out"}, {"data", "out"});
  if (!args) return kExitUsage;
  const std::string data = *args->Get("data");
  auto log_key = ReadInput(ledger::LogPublicKeyPath(data), ledger::constants::origin_bytes_max + 4096);
  if (!log_key.ok()) return Fail(log_key.status());
  auto log_key_line = LogKeyLine(*log_key);
  if (!log_key_line.ok()) return Fail(log_key_line.status());
  auto reader = ledger::LogReader::Open(data);
  if (!reader.ok()) return Fail(reader.status());
  const std::string checkpoint = (*reader)->checkpoint();
  ledger::Status status = replay::WriteBundle(
      *args->Get("out"), checkpoint, *log_key_line,
      [&](std::uint64_t first, std::uint64_t count, std::vector<std::string>* entries) {
        entries->clear();
        for (std::uint64_t index = first; index < first + count; ++index) {
          auto bytes = (*reader)->Read(index);
          if (!bytes.ok()) {
            return ledger::Status(bytes.status().code() == ledger::Code::kNotFound ? ledger::Code::kCorruption
                                                                                    : bytes.status().code(),
                                  "entry " + std::to_string(index) + ", covered by the stored checkpoint: " +
                                      bytes.status().message());
          }
          entries->push_back(std::move(*bytes));
        }
        return ledger::Status::Ok();
      });
  if (!status.ok()) return Fail(status);
  return PrintExported(*args->Get("out"), checkpoint);
}

// --- rebuild --------------------------------------------------------------------------------

int Rebuild(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"data"}, {"data"});
  if (!args) return kExitUsage;
  std::optional<Progress> progress;
  auto report = ledger::RebuildProjections(*args->Get("data"), [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress.emplace("rebuild", total);
    progress->Update(done);
  });
  if (progress) progress->Finish();
  if (!report.ok()) return Fail(report.status());
  auto rate = [](std::uint64_t n, double seconds) {
    return seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(n) / seconds) : 0;
  };
  std::cout << "rebuilt projections from " << report->entries << " entries in " << report->rebuild_seconds
            << " s: " << rate(report->entries, report->rebuild_seconds) << " events/s (raw RocksDB scan of the "
            << "same entries: " << rate(report->entries, report->scan_seconds) << " entries/s)\n"
            << "projection digest: " << crypto::HexEncode(crypto::AsBytes(report->digest)) << "\n";
  return kExitOk;
}

// --- demo -----------------------------------------------------------------------------------

int Demo(const std::vector<std::string>& argv) {
  auto args = ParseFlags(argv, {"data"}, {"data"});
  if (!args) return kExitUsage;
  ledger::Status status = BuildDemo(*args->Get("data"), std::cout);
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"keygen", "create an Ed25519 key pair in the C2SP note formats",
       "usage: ledgerctl keygen --name NAME --out FILE\n\n"
       "Writes FILE (the secret key, PRIVATE+KEY+NAME+ID+..., mode 0600; refuses to overwrite) and\n"
       "FILE.pub (the verifier key NAME+ID+...). Prints the verifier key.\n",
       Keygen},
      {"init", "create a ledger with its log key and genesis entry",
       "usage: ledgerctl init --data DIR --origin ORIGIN --admin ADMIN.pub [--admin-region CODE]\n\n"
       "Creates DIR with a fresh log key (DIR/log.key, mode 0600; DIR/log.pub) and entry 0, the\n"
       "genesis, which registers the first admin. ORIGIN names the ledger in every signature and\n"
       "checkpoint (no spaces, no '+'). Prints the first signed checkpoint.\n",
       Init},
      {"append", "sign and append one event (proto3 JSON)",
       "usage: ledgerctl append --data DIR --key KEY FILE.json|-\n"
       "       ledgerctl append --server URL --key KEY [--origin ORIGIN] [--ca FILE] FILE.json|-\n\n"
       "Reads one ledger.v1.Event in the proto3 JSON mapping (origin, timestamp_ms and event_id are\n"
       "filled in when absent), signs its bytes with KEY and appends it. Prints the receipt\n"
       "{index, entry_hash, duplicate}. Resubmitting the same event id with the same bytes returns\n"
       "the original receipt. With --server (http[s]://HOST:PORT of a running ledgerd) the event\n"
       "goes through the API as a request signed with KEY, for the origin the server's GET\n"
       "/v1/log-key names unless --origin is given; a refusal prints the API's code and detail.\n"
       "An https:// server's certificate is verified against --ca FILE (PEM), or else the\n"
       "system's trusted certificates, always. Example:\n"
       "  {\"event_id\":\"doc-1\",\"document_filed\":{\"document_number\":\"临财社〔2025〕3号\",\n"
       "   \"title\":\"通知\",\"sha256\":\"<base64 of 32 bytes>\",\"region_code\":\"150802\"}}\n",
       Append},
      {"roster", "sign a roster of events once and append it",
       "usage: ledgerctl roster --data DIR --key KEY [--title T] [--roster-id ID] [--format csv|jsonl]\n"
       "                        [CSV flags] FILE\n"
       "       ledgerctl roster --server URL --key KEY [--origin ORIGIN] [--ca FILE] [--title T]\n"
       "                        [--roster-id ID] [--format csv|jsonl] [CSV flags] FILE\n"
       "CSV flags: [--period YYYY-MM] [--pay-date YYYY-MM-DD] [--document NUMBER]\n\n"
       "Reads the roster's events, signs the roster header that commits to all of them and appends\n"
       "them in one batch: all or nothing. Prints one receipt per event. With --server the roster\n"
       "goes through ledgerd's API (POST /v1/rosters), as for append.\n\n"
       "FILE (or - for stdin) is one event per line in proto3 JSON, or, when it ends in .csv or with\n"
       "--format csv, a finance office's payment roster exported from its spreadsheet as CSV (UTF-8),\n"
       "one disbursement per row under a header of these columns, in Chinese or English:\n"
       "  事件编号/event_id   资金/fund   地区/region   项目/program   领取人/payee (subject id or unit\n"
       "  credit code)   账户/account   金额(元)/amount_yuan   所属期/period   发放日期/pay_date\n"
       "  文号/document_number\n"
       "Other columns are ignored. Without an event_id column, --roster-id ID is required and row n\n"
       "gets the id ID-n; --period, --pay-date and --document stand for missing columns. Every row\n"
       "is checked before anything is signed; each problem is printed as `error: line N: reason`\n"
       "and the command exits 1 having sent nothing. docs/ledgerctl.md has an example.\n",
       Roster},
      {"get", "print one entry as JSON, or any API answer with --server",
       "usage: ledgerctl get --data DIR INDEX\n"
       "       ledgerctl get --server URL --key KEY [--origin ORIGIN] [--ca FILE] PATH\n\n"
       "Prints the entry at INDEX with its decoded event and entry hash. With --server, sends GET\n"
       "PATH (like /v1/balances?region=150821, docs/api.md) to ledgerd signed with KEY and prints\n"
       "the answer's body; a refusal prints the API's code and detail.\n",
       Get},
      {"tail", "print the last entries as JSON lines",
       "usage: ledgerctl tail --data DIR [--count N]\n\nPrints the last N (default 10) entries, oldest first.\n",
       Tail},
      {"verify", "verify the whole log from genesis, in a data directory or an audit bundle",
       "usage: ledgerctl verify --data DIR [--log-key FILE] [--threads N]\n"
       "       ledgerctl verify --bundle BUNDLE --log-key FILE [--since OLD_CHECKPOINT] [--threads N]\n\n"
       "Checks every chain link, signature, signer's right to sign at its index, the entry\n"
       "indexes, and the Merkle root and size against the checkpoint signed by the log key\n"
       "(FILE, default DIR/log.pub: keep your own copy). Exits 1 naming the first bad index.\n\n"
       "With --bundle, verifies an audit bundle (ledgerctl export) with no server and no store,\n"
       "against your own copy of the log key. --since OLD_CHECKPOINT, a signed checkpoint you kept\n"
       "from an earlier visit, also checks that the bundle's log extends it: the root of its first\n"
       "OLD_SIZE entries must be the old root. If not, prints `FORKED or REWRITTEN` with both sizes\n"
       "and roots and exits 4.\n",
       Verify},
      {"export", "write an offline audit bundle (a static tlog-tiles snapshot) of the log",
       "usage: ledgerctl export --data DIR --out BUNDLE\n"
       "       ledgerctl export --server URL --key KEY [--origin ORIGIN] [--ca FILE] [--connections N]\n"
       "                        --out BUNDLE\n\n"
       "Writes the directory BUNDLE (refused if it exists): the signed checkpoint, every entry it\n"
       "covers in C2SP tlog-tiles entry bundles (tile/entries/...), the log's verifier key (log.pub,\n"
       "informational) and a README. `ledgerctl verify --bundle BUNDLE --log-key FILE` verifies it\n"
       "offline. With --server, KEY must be an auditor's or admin's: the entries come from GET\n"
       "/v1/entries?from=&limit=, on N connections at once (default 4). A failed export leaves nothing behind.\n"
       "docs/formats.md describes the bundle.\n",
       Export},
      {"demo", "build a demo ledger with keys in DIR/keys",
       "usage: ledgerctl demo --data DIR\n\nCreates a fresh demo ledger for Bayannur: a year (2025) of funds, budget plans,\n"
       "arrivals, about 100,000 disbursements by roster, reversals and a program transfer, with the\n"
       "actors' keys in DIR/keys and the people's personal data in the vault. Takes some seconds;\n"
       "docs/demo.md describes the year.\n",
       Demo},
      {"rebuild", "discard the stored projections and rebuild them from the log",
       "usage: ledgerctl rebuild --data DIR\n\n"
       "Replays entries 0 .. checkpoint size through the actor registry and the fund-flow rules and\n"
       "rewrites every projection row (balances, plans, histories). The ledger must not be open\n"
       "(stop ledgerd first). Prints the rates and `projection digest: <hex>`, which `ledgerctl\n"
       "verify` prints too: the same log gives the same digest.\n",
       Rebuild},
      {"bench", "measure append, roster and verify rates against this machine's limits",
       "usage: ledgerctl bench [--events N] [--roster-events N] [--fund-events N] [--proof-entries N]\n"
       "                       [--window W] [--no-http] [--pipeline N] [--connections N] [--balance-seconds S]\n"
       "                       [--dir DIR] [--latency-log FILE] [--json]\n"
       "       ledgerctl bench --server URL --key ADMIN_KEY [--events N] [--pipeline N] [--connections N]\n"
       "                       [--balance-seconds S] [--balance-query QUERY] [--json]\n\n"
       "Measures, in one run: Ed25519 verifications per second on all cores and synced RocksDB\n"
       "batch writes per second (the machine's limits), then signed appends from 64 concurrent\n"
       "submitters each keeping W (default 8) appends in flight, p99 latency at half of peak load,\n"
       "signed appends over HTTP on loopback (64 keep-alive connections, N requests pipelined on\n"
       "each, default 1; --no-http skips them), full verification, roster appends, memory and disk\n"
       "use, and the fund flows: a projection rebuild beside a raw scan, balance queries, and signed\n"
       "GET /v1/balances over HTTP for S seconds (default 3; 0 skips) on N connections (default\n"
       "64), with and without request signature verification, and the transparency reads: inclusion\n"
       "and consistency proofs and full tiles served from a log of --proof-entries entries. Prints\n"
       "each figure with its ratio to the limit; --json prints one JSON object. Defaults: --events\n"
       "200000, --roster-events 200000, --fund-events 500000, --proof-entries 1000000 (0 skips a\n"
       "phase; under two minutes on 2 cores; the fund targets are set on --fund-events 1000000).\n"
       "DIR defaults to a fresh temporary folder, removed afterwards. --latency-log writes each\n"
       "half-load append's acknowledgement time (UTC seconds) and latency (ms) to FILE, one a line.\n\n"
       "With --server, drives a running ledgerd instead: registers 64 finance officers of its own\n"
       "with the admin key, sends N signed appends (signed before the timed phase) over 64\n"
       "keep-alive connections, then signed GET /v1/balances[?QUERY] for S seconds, printing rates,\n"
       "p50/p99 and the bench process's own CPU share. docs/bench.md explains every figure.\n",
       RunBench},
  };
  return commands;
}

}  // namespace tools
