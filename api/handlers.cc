#include "api/handlers.h"

#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "api/witness_submitter.h"
#include "ledger/api.pb.h"
#include "crypto/hash.h"
#include "crypto/signing.h"
#include "crypto/note.h"
#include "ledger/actors.h"
#include "ledger/constants.h"
#include "ledger/funds_query.h"
#include "ledger/vault.h"
#include "ledger/tile_path.h"

namespace api {

extern const std::string_view kOpenApiText;  // docs/openapi.yaml (api/CMakeLists.txt).

namespace {

using ledger::Code;
using ledger::Status;
namespace v1 = ledger::v1;
namespace apiv1 = ledger::api::v1;

// Who may call a route: anyone (the public transparency surface), or signed requests of the
// listed roles.
struct Access {
  bool is_public = false;
  std::vector<v1::Role> roles;
};
const Access kPublic{true, {}};
const Access kAnyActor{false, {v1::ROLE_ADMIN, v1::ROLE_FINANCE_OFFICER, v1::ROLE_INSPECTOR, v1::ROLE_AUDITOR}};
const Access kAuditors{false, {v1::ROLE_ADMIN, v1::ROLE_AUDITOR}};
const Access kMoneyReaders{false, {v1::ROLE_ADMIN, v1::ROLE_FINANCE_OFFICER, v1::ROLE_AUDITOR}};
const Access kWriters{false, {v1::ROLE_ADMIN, v1::ROLE_FINANCE_OFFICER, v1::ROLE_INSPECTOR}};
// Personal data: officers register the people they pay; officers of the person's region and
// auditors read it, each read logged first (ledger/actors.cc RoleMaySign agrees).
const Access kPersonRegistrars{false, {v1::ROLE_FINANCE_OFFICER}};
const Access kPersonReaders{false, {v1::ROLE_FINANCE_OFFICER, v1::ROLE_AUDITOR}};

struct Call {
  ledger::EventStore* store;
  ledger::Vault* vault;  // Null when the server serves no personal data.
  Metrics* metrics;
  std::chrono::steady_clock::time_point arrived;
  const HttpRequest& request;
  std::string path;
  std::map<std::string, std::string> query;
  std::string path_rest;  // After a prefix route's prefix.
  v1::ActorRecord caller;  // Empty for public routes.
  std::function<void(HttpResponse)> done;
  const WitnessSubmitter* witnesses = nullptr;  // Null when no witness is configured.
};

using Handler = void (*)(Call&);

struct Route {
  const char* method;
  const char* path;  // Exact, or a prefix when it ends with '/'.
  Access access;
  Handler handler;
};

HttpResponse Json(const google::protobuf::Message& message, int status = 200) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  HttpResponse response;
  response.status = status;
  (void)google::protobuf::util::MessageToJsonString(message, &response.body, options);
  response.body += "\n";
  return response;
}

HttpResponse Text(std::string body, std::string content_type = "text/plain; charset=utf-8") {
  HttpResponse response;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

int FromHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of one query component ('+' is a space in forms).
std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = FromHex(text[i + 1]), lo = FromHex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

Status ParseTarget(const std::string& target, std::string* path, std::map<std::string, std::string>* query) {
  const std::size_t mark = target.find('?');
  *path = target.substr(0, mark);
  if (mark == std::string::npos) return Status::Ok();
  std::string_view rest = std::string_view(target).substr(mark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = Unescape(pair.substr(0, eq));
    auto value = Unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return Status(Code::kMalformed, "query has a bad percent escape");
    if (!query->emplace(*key, *value).second) {
      return Status(Code::kMalformed, "query parameter '" + *key + "' is given twice");
    }
  }
  return Status::Ok();
}

Status OnlyParameters(const Call& call, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : call.query) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      return Status(Code::kMalformed, "unknown query parameter '" + key + "'");
    }
  }
  return Status::Ok();
}

std::string Param(const Call& call, const char* name) {
  auto it = call.query.find(name);
  return it == call.query.end() ? std::string() : it->second;
}

std::optional<std::uint64_t> ParseUint(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// A region-scoped officer or inspector reads only their region: an absent region means theirs.
Status ScopeRegion(const Call& call, std::string* region) {
  const std::string& scope = call.caller.actor().region_code();
  if (scope.empty()) return Status::Ok();
  if (region->empty()) *region = scope;
  if (*region != scope) {
    return Status(Code::kScopeNotAllowed, "actor '" + call.caller.actor().name() + "' reads region " + scope +
                                              " only, not " + *region);
  }
  return Status::Ok();
}

void Fail(Call& call, const Status& status) { call.done(Api::Problem(status)); }

// ---- Public ----

void Healthz(Call& call) { call.done(Text("ok\n")); }
// Ready unless the background verification found the stored log broken: then every answer
// the server gives may rest on a tampered log.
void Readyz(Call& call) {
  if (call.metrics->verify_state() == Metrics::VerifyState::kFailed) {
    HttpResponse response = Api::Problem(Status(Code::kCorruption, "the stored log failed verification at entry " +
                                                                     std::to_string(call.metrics->verify_first_bad_index())));
    response.status = 503;  // Not ready; the problem's code says why.
    return call.done(std::move(response));
  }
  call.done(Text("ok\n"));
}
void OpenApi(Call& call) { call.done(Text(std::string(kOpenApiText), "application/yaml")); }
void MetricsText(Call& call) {
  call.done(Text(call.metrics->Render(*call.store, call.witnesses), "text/plain; version=0.0.4; charset=utf-8"));
}
void Checkpoint(Call& call) {
  std::string note = call.store->checkpoint();
  if (call.witnesses != nullptr) {
    // signed-note allows several signature lines: the log's, then those of the witnesses that
    // cosigned this very checkpoint (tlog-witness: a client appends them to its checkpoint).
    const std::size_t text_end = note.rfind("\n\n") + 1;
    note += call.witnesses->Cosignatures(std::string_view(note).substr(0, text_end));
  }
  HttpResponse response = Text(std::move(note));
  // tlog-tiles: the checkpoint changes with every commit, so it is not cached.
  response.headers.emplace_back("Cache-Control", "no-cache");
  call.done(std::move(response));
}
void LogKey(Call& call) {
  call.done(Text(crypto::FormatVerifierKey(call.store->log_key().name, call.store->log_key().key) + "\n"));
}

// ---- Transparency (C2SP tlog-tiles, RFC 9162 proofs; docs/transparency.md) ----

// The body of tile `prefix` + path_rest, e.g. "tile/" + "0/x001/234.p/7". A tile's bytes never
// change, so it may be cached for good: publicly for tree tiles, only by the caller for entry
// bundles, which are not public.
void ServeTile(Call& call, const std::string& prefix, bool entries, const char* cache_control) {
  if (Status s = OnlyParameters(call, {}); !s.ok()) return Fail(call, s);
  auto tile = ledger::ParseTilePath(prefix + call.path_rest);
  if (!tile || tile->entries != entries) {
    return Fail(call, Status(Code::kMalformed, "not a tile path: " + call.path + " (tile/" +
                                                   (entries ? "entries" : "<L>") + "/<N>[.p/<W>], C2SP tlog-tiles)"));
  }
  auto bytes = call.store->ReadTile(*tile);
  if (!bytes.ok()) return Fail(call, bytes.status());
  HttpResponse response = Text(std::move(*bytes), "application/octet-stream");
  response.headers.emplace_back("Cache-Control", cache_control);
  call.done(std::move(response));
}

void Tile(Call& call) { ServeTile(call, "", false, "public, max-age=31536000, immutable"); }
void EntryBundle(Call& call) { ServeTile(call, "entries/", true, "private, max-age=31536000, immutable"); }

// A required decimal query parameter.
ledger::Result<std::uint64_t> UintParam(const Call& call, const char* name) {
  auto value = call.query.count(name) ? ParseUint(Param(call, name)) : std::nullopt;
  if (!value) return Status(Code::kMalformed, std::string(name) + " must be given as a decimal integer");
  return *value;
}

// A proof answer, byte for byte what Json() makes of apiv1::InclusionProof or ConsistencyProof
// (sizes as strings, as proto3 JSON writes 64-bit integers), written directly: proofs are the
// public endpoints auditors poll, and the generic converter took a fifth of their time. Base64
// needs no JSON escaping.
std::string ProofJson(std::string_view first_name, std::uint64_t first, std::uint64_t tree_size,
                      const std::vector<crypto::Hash>& hashes) {
  std::string json;
  json.reserve(64 + hashes.size() * 48);
  json.append("{\"").append(first_name).append("\":\"").append(std::to_string(first));
  json.append("\",\"tree_size\":\"").append(std::to_string(tree_size)).append("\",\"hashes\":[");
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) json.push_back(',');
    json.push_back('"');
    json.append(crypto::Base64Encode(crypto::AsBytes(hashes[i])));
    json.push_back('"');
  }
  json.append("]}\n");
  return json;
}

void InclusionProof(Call& call) {
  if (Status s = OnlyParameters(call, {"index", "tree_size"}); !s.ok()) return Fail(call, s);
  auto index = UintParam(call, "index");
  if (!index.ok()) return Fail(call, index.status());
  auto tree_size = UintParam(call, "tree_size");
  if (!tree_size.ok()) return Fail(call, tree_size.status());
  auto proof = call.store->InclusionProof(*index, *tree_size);
  if (!proof.ok()) return Fail(call, proof.status());
  HttpResponse response;
  response.body = ProofJson("index", *index, *tree_size, *proof);
  call.done(std::move(response));
}

void ConsistencyProof(Call& call) {
  if (Status s = OnlyParameters(call, {"old_size", "tree_size"}); !s.ok()) return Fail(call, s);
  auto old_size = UintParam(call, "old_size");
  if (!old_size.ok()) return Fail(call, old_size.status());
  auto tree_size = UintParam(call, "tree_size");
  if (!tree_size.ok()) return Fail(call, tree_size.status());
  auto proof = call.store->ConsistencyProof(*old_size, *tree_size);
  if (!proof.ok()) return Fail(call, proof.status());
  HttpResponse response;
  response.body = ProofJson("old_size", *old_size, *tree_size, *proof);
  call.done(std::move(response));
}

// ---- Reads ----

void Balance(Call& call) {
  if (Status s = OnlyParameters(call, {"fund", "region", "program", "as_of"}); !s.ok()) return Fail(call, s);
  ledger::CellFilter filter{Param(call, "fund"), Param(call, "region"), Param(call, "program")};
  if (Status s = ScopeRegion(call, &filter.region); !s.ok()) return Fail(call, s);
  std::optional<std::uint64_t> as_of;
  const std::uint64_t size = call.store->size();
  if (call.query.count("as_of")) {
    as_of = ParseUint(Param(call, "as_of"));
    if (!as_of || *as_of > size) {
      return Fail(call, Status(Code::kMalformed, "as_of must be a tree size from 0 to " + std::to_string(size)));
    }
  }
  auto balance = ledger::QueryBalance(call.store->projection_rows(), filter, as_of);
  if (!balance.ok()) return Fail(call, balance.status());
  apiv1::Balance out;
  out.set_fund(filter.fund);
  out.set_region(filter.region);
  out.set_program(filter.program);
  if (as_of) out.set_as_of_size(*as_of);
  out.set_planned(balance->planned);
  out.set_received(balance->received);
  out.set_disbursed(balance->disbursed);
  out.set_recovered(balance->recovered);
  out.set_transferred_in(balance->transferred_in);
  out.set_transferred_out(balance->transferred_out);
  out.set_available(balance->available());
  out.set_outstanding(balance->outstanding());
  out.set_cells(balance->cells);
  out.set_log_size(size);
  call.done(Json(out));
}

void Plans(Call& call) {
  if (Status s = OnlyParameters(call, {"fund", "region", "program"}); !s.ok()) return Fail(call, s);
  ledger::CellFilter filter{Param(call, "fund"), Param(call, "region"), Param(call, "program")};
  if (Status s = ScopeRegion(call, &filter.region); !s.ok()) return Fail(call, s);
  auto plans = ledger::QueryPlans(call.store->projection_rows(), filter);
  if (!plans.ok()) return Fail(call, plans.status());
  apiv1::Plans out;
  for (const ledger::PlanArrival& plan : *plans) {
    apiv1::Plan* p = out.add_plans();
    p->set_plan_event_id(plan.plan_event_id);
    *p->mutable_plan() = plan.plan;
    p->set_full(plan.full());
    if (auto days = plan.days_to_full()) p->set_days_to_full(*days);
  }
  call.done(Json(out));
}

template <typename List, typename Item>
void ListInto(Call& call, const ledger::Result<std::vector<Item>>& items,
              google::protobuf::RepeatedPtrField<Item>* (List::*field)(), List& out) {
  if (!items.ok()) return Fail(call, items.status());
  for (const Item& item : *items) *(out.*field)()->Add() = item;
  call.done(Json(out));
}

void FundsList(Call& call) {
  if (Status s = OnlyParameters(call, {}); !s.ok()) return Fail(call, s);
  apiv1::Funds out;
  ListInto(call, ledger::ListFunds(call.store->projection_rows()), &apiv1::Funds::mutable_funds, out);
}
void ProgramsList(Call& call) {
  if (Status s = OnlyParameters(call, {}); !s.ok()) return Fail(call, s);
  apiv1::Programs out;
  ListInto(call, ledger::ListPrograms(call.store->projection_rows()), &apiv1::Programs::mutable_programs, out);
}
void RegionsList(Call& call) {
  if (Status s = OnlyParameters(call, {}); !s.ok()) return Fail(call, s);
  apiv1::Regions out;
  ListInto(call, ledger::ListRegions(call.store->projection_rows()), &apiv1::Regions::mutable_regions, out);
}
void RatesList(Call& call) {
  if (Status s = OnlyParameters(call, {"parameter"}); !s.ok()) return Fail(call, s);
  apiv1::Rates out;
  ListInto(call, ledger::ListRates(call.store->projection_rows(), Param(call, "parameter")),
           &apiv1::Rates::mutable_rates, out);
}
void ActorsList(Call& call) {
  if (Status s = OnlyParameters(call, {}); !s.ok()) return Fail(call, s);
  apiv1::Actors out;
  for (const v1::ActorRecord& record : call.store->Actors()) *out.add_actors() = record;
  call.done(Json(out));
}

void PayeeHistoryOf(Call& call) {
  // /v1/payees/<payee>/history
  const std::string suffix = "/history";
  if (call.path_rest.size() <= suffix.size() ||
      call.path_rest.compare(call.path_rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return Fail(call, Status(Code::kNotFound, "no such resource: " + call.path));
  }
  const std::string payee = call.path_rest.substr(0, call.path_rest.size() - suffix.size());
  auto history = ledger::QueryPayeeHistory(call.store->projection_rows(), payee);
  if (!history.ok()) return Fail(call, history.status());
  apiv1::PayeeHistory out;
  out.set_payee(payee);
  for (std::uint64_t index : *history) out.add_indexes(index);
  call.done(Json(out));
}

// An entry as the API shows it: the exact leaf bytes, and the event decoded beside them.
Status FillEntry(std::uint64_t index, const std::string& bytes, apiv1::Entry* out) {
  v1::LogEntry entry;
  if (!entry.ParseFromString(bytes) || !out->mutable_event()->ParseFromString(entry.signed_event().event())) {
    return Status(Code::kCorruption, "entry " + std::to_string(index) + " does not decode");
  }
  out->set_index(index);
  out->set_leaf(crypto::Base64Encode(bytes));
  out->set_signer(crypto::Base64Encode(entry.signed_event().public_key()));
  out->set_sequenced_ms(entry.sequenced_ms());
  return Status::Ok();
}

void EntryAt(Call& call) {
  auto index = ParseUint(call.path_rest);
  if (!index) return Fail(call, Status(Code::kMalformed, "entry index must be a decimal integer"));
  auto bytes = call.store->ReadEntry(*index);
  if (!bytes.ok()) return Fail(call, bytes.status());
  apiv1::Entry out;
  if (Status s = FillEntry(*index, *bytes, &out); !s.ok()) return Fail(call, s);
  call.done(Json(out));
}

// GET /v1/entries?from=I&limit=N: entries I .. I+N-1 of the durable log, in order; `next` is
// where the following page starts (the log's size once the page reaches the end).
void EntriesPage(Call& call) {
  if (Status s = OnlyParameters(call, {"from", "limit"}); !s.ok()) return Fail(call, s);
  std::uint64_t from = 0, limit = ledger::constants::entries_page_default;
  if (call.query.count("from")) {
    auto value = ParseUint(Param(call, "from"));
    if (!value) return Fail(call, Status(Code::kMalformed, "from must be a decimal entry index"));
    from = *value;
  }
  if (call.query.count("limit")) {
    auto value = ParseUint(Param(call, "limit"));
    if (!value || *value == 0 || *value > ledger::constants::entries_page_max) {
      return Fail(call, Status(Code::kMalformed, "limit must be 1 to " +
                                                     std::to_string(ledger::constants::entries_page_max)));
    }
    limit = *value;
  }
  const std::uint64_t size = call.store->size();
  if (from > size) {
    return Fail(call, Status(Code::kNotFound, "from " + std::to_string(from) + " is past the log's " +
                                                  std::to_string(size) + " entries"));
  }
  const std::uint64_t end = from + std::min(limit, size - from);
  apiv1::Entries out;
  for (std::uint64_t index = from; index < end; ++index) {
    auto bytes = call.store->ReadEntry(index);
    if (!bytes.ok()) return Fail(call, bytes.status());
    if (Status s = FillEntry(index, *bytes, out.add_entries()); !s.ok()) return Fail(call, s);
  }
  out.set_next(end);
  out.set_size(size);
  call.done(Json(out));
}

// ---- Appends ----

// A JSON object body whose members are all strings, each named in `fields` and given at most
// once; `required` of them must be there. Unknown fields, other types and duplicates are refused.
ledger::Result<std::map<std::string, std::string>> ParseStringFields(const std::string& body,
                                                                     const std::vector<std::string_view>& fields,
                                                                     std::size_t required) {
  if (body.size() > ledger::constants::http_body_bytes_max) {
    return Status(Code::kTooLarge, "body is larger than " + std::to_string(ledger::constants::http_body_bytes_max));
  }
  simdjson::ondemand::parser parser;
  simdjson::padded_string json(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS) return Status(Code::kMalformed, "body is not JSON");
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return Status(Code::kMalformed, "body is not a JSON object");
  std::map<std::string, std::string> values;
  for (auto member : object) {
    std::string_view key;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS) return Status(Code::kMalformed, "body is not valid JSON");
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      return Status(Code::kMalformed, "unknown field '" + std::string(key) + "'");
    }
    std::string_view text;
    if (member.value().get_string().get(text) != simdjson::SUCCESS) {
      return Status(Code::kMalformed, "field '" + std::string(key) + "' must be a string");
    }
    if (!values.emplace(std::string(key), std::string(text)).second) {
      return Status(Code::kMalformed, "field '" + std::string(key) + "' is given twice");
    }
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (values.count(std::string(fields[i])) == 0) {
      return Status(Code::kMalformed, "body needs the field '" + std::string(fields[i]) + "'");
    }
  }
  return values;
}

// The one field of an append body, base64-decoded: {"<field>": "<base64>"}.
ledger::Result<std::string> ParseAppendBody(const std::string& body, std::string_view field) {
  auto values = ParseStringFields(body, {field}, 1);
  if (!values.ok()) return values.status();
  auto decoded = crypto::Base64Decode(values->begin()->second);
  if (!decoded) return Status(Code::kMalformed, "field '" + std::string(field) + "' is not valid base64");
  return std::move(*decoded);
}

void FillReceipt(const ledger::Receipt& receipt, apiv1::Receipt* out) {
  out->set_index(receipt.index);
  out->set_entry_hash(crypto::Base64Encode(crypto::AsBytes(receipt.entry_hash)));
  out->set_duplicate(receipt.duplicate);
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void AppendEvent(Call& call) {
  auto signed_event = ParseAppendBody(call.request.body, "signed_event");
  if (!signed_event.ok()) {
    call.metrics->CountAppend(signed_event.status(), 0, Since(call.arrived));
    return Fail(call, signed_event.status());
  }
  call.store->Submit(std::move(*signed_event), [done = call.done, metrics = call.metrics,
                                                arrived = call.arrived](ledger::Result<ledger::Receipt> receipt) {
    metrics->CountAppend(receipt.ok() ? Status::Ok() : receipt.status(), 1, Since(arrived));
    if (!receipt.ok()) return done(Api::Problem(receipt.status()));
    apiv1::AppendResponse out;
    FillReceipt(*receipt, out.mutable_receipt());
    done(Json(out, receipt->duplicate ? 200 : 201));
  });
}

void AppendRoster(Call& call) {
  auto signed_roster = ParseAppendBody(call.request.body, "signed_roster");
  if (!signed_roster.ok()) {
    call.metrics->CountAppend(signed_roster.status(), 0, Since(call.arrived));
    return Fail(call, signed_roster.status());
  }
  call.store->SubmitRoster(std::move(*signed_roster),
                           [done = call.done, metrics = call.metrics,
                            arrived = call.arrived](ledger::Result<std::vector<ledger::Receipt>> receipts) {
                             metrics->CountAppend(receipts.ok() ? Status::Ok() : receipts.status(),
                                                  receipts.ok() ? receipts->size() : 0, Since(arrived));
                             if (!receipts.ok()) return done(Api::Problem(receipts.status()));
                             apiv1::RosterResponse out;
                             for (const auto& receipt : *receipts) FillReceipt(receipt, out.add_receipts());
                             done(Json(out, !receipts->empty() && receipts->front().duplicate ? 200 : 201));
                           });
}

// ---- Personal data (docs/privacy.md) ----

void WipeString(std::string* text) {
  crypto::Wipe(text->data(), text->size());
  text->clear();
}
void WipePerson(ledger::PersonalData* person) {
  WipeString(&person->name);
  WipeString(&person->id_number);
  WipeString(&person->bank_account);
}

// Stores a person's data in the vault and answers the pseudonyms the officer then signs into a
// PersonRegistered event. Nothing enters the log here.
void RegisterPerson(Call& call) {
  if (call.vault == nullptr) return Fail(call, Status(Code::kUnavailable, "this server has no personal-data vault"));
  auto fields = ParseStringFields(call.request.body, {"name", "id_number", "bank_account"}, 3);
  if (!fields.ok()) return Fail(call, fields.status());
  ledger::PersonalData person{(*fields)["name"], (*fields)["id_number"], (*fields)["bank_account"]};
  auto subject = call.vault->Register(person);
  WipePerson(&person);
  if (!subject.ok()) return Fail(call, subject.status());
  apiv1::PersonRegistration out;
  out.set_subject_id(*subject);
  out.set_account_digest(call.vault->AccountDigest((*fields)["bank_account"]));
  for (auto& [name, value] : *fields) WipeString(&value);
  call.done(Json(out, 201));
}

// Releases a person's data only once the reader's signed PersonalDataRead event is durable in
// the log: the read is recorded, by the reader's own signature, before anyone sees the data.
void ReadPerson(Call& call) {
  if (call.vault == nullptr) return Fail(call, Status(Code::kUnavailable, "this server has no personal-data vault"));
  auto signed_event = ParseAppendBody(call.request.body, "signed_event");
  if (!signed_event.ok()) return Fail(call, signed_event.status());
  v1::SignedEvent envelope;
  v1::Event event;
  if (!envelope.ParseFromString(*signed_event) || !event.ParseFromString(envelope.event())) {
    return Fail(call, Status(Code::kMalformed, "signed_event does not decode"));
  }
  if (!event.has_personal_data_read()) {
    return Fail(call, Status(Code::kInvalidEvent, "a personal-data read takes a personal_data_read event"));
  }
  if (envelope.public_key() != call.caller.actor().public_key()) {
    return Fail(call, Status(Code::kBadSignature, "the read event must be signed by the key that signs the request"));
  }
  const std::string subject = event.personal_data_read().subject_id();
  if (Status s = call.vault->Read(subject).status(); !s.ok()) return Fail(call, s);  // Before logging.
  call.store->Submit(std::move(*signed_event), [done = call.done, vault = call.vault, metrics = call.metrics,
                                                arrived = call.arrived,
                                                subject](ledger::Result<ledger::Receipt> receipt) {
    metrics->CountAppend(receipt.ok() ? Status::Ok() : receipt.status(), 1, Since(arrived));
    if (!receipt.ok()) return done(Api::Problem(receipt.status()));
    auto person = vault->Read(subject);  // Erased since the check: the read is logged, nothing released.
    if (!person.ok()) return done(Api::Problem(person.status()));
    apiv1::PersonalDataResponse out;
    FillReceipt(*receipt, out.mutable_receipt());
    out.set_subject_id(subject);
    out.set_name(person->name);
    out.set_id_number(person->id_number);
    out.set_bank_account(person->bank_account);
    WipePerson(&*person);
    HttpResponse response = Json(out);
    response.headers.emplace_back("Cache-Control", "no-store");
    out.Clear();
    done(std::move(response));
  });
}

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/healthz", kPublic, Healthz},
      {"GET", "/readyz", kPublic, Readyz},
      {"GET", "/metrics", kPublic, MetricsText},
      {"GET", "/openapi.yaml", kPublic, OpenApi},
      {"GET", "/checkpoint", kPublic, Checkpoint},
      {"GET", "/v1/log-key", kPublic, LogKey},
      // Entry bundles hold every entry, as /v1/entries does: auditors only. Listed before
      // /tile/, whose prefix would take them.
      {"GET", "/tile/entries/", kAuditors, EntryBundle},
      {"GET", "/tile/", kPublic, Tile},
      {"GET", "/v1/proofs/inclusion", kPublic, InclusionProof},
      {"GET", "/v1/proofs/consistency", kPublic, ConsistencyProof},
      {"GET", "/v1/balances", kMoneyReaders, Balance},
      {"GET", "/v1/plans", kMoneyReaders, Plans},
      {"GET", "/v1/funds", kAnyActor, FundsList},
      {"GET", "/v1/programs", kAnyActor, ProgramsList},
      {"GET", "/v1/regions", kAnyActor, RegionsList},
      {"GET", "/v1/rates", kAnyActor, RatesList},
      {"GET", "/v1/actors", kAuditors, ActorsList},
      {"GET", "/v1/payees/", kMoneyReaders, PayeeHistoryOf},
      {"GET", "/v1/entries/", kAuditors, EntryAt},
      {"GET", "/v1/entries", kAuditors, EntriesPage},
      {"POST", "/v1/events", kWriters, AppendEvent},
      {"POST", "/v1/rosters", kWriters, AppendRoster},
      {"POST", "/v1/persons", kPersonRegistrars, RegisterPerson},
      {"POST", "/v1/persons/read", kPersonReaders, ReadPerson},
  };
  return routes;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Api::RouteList() {
  std::vector<std::pair<std::string, std::string>> list;
  for (const Route& route : Routes()) list.emplace_back(route.method, route.path);
  return list;
}

Api::Api(ledger::EventStore* store, Authenticate authenticate, ledger::Vault* vault)
    : store_(store), vault_(vault), authenticate_(std::move(authenticate)) {}

int Api::HttpStatus(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kNotFound: return 404;
    case Code::kMalformed:
    case Code::kInvalidArgument: return 400;
    case Code::kTooLarge: return 413;
    case Code::kBadSignature:
    case Code::kUnknownSigner:
    case Code::kRevokedSigner:
    case Code::kStaleRequest:
    case Code::kReplayedRequest: return 401;
    case Code::kRoleNotAllowed:
    case Code::kScopeNotAllowed: return 403;
    case Code::kDuplicateId:
    case Code::kAlreadyExists: return 409;
    case Code::kWrongOrigin:
    case Code::kInvalidEvent:
    case Code::kUnknownReference:
    case Code::kInvalidAmount:
    case Code::kInvalidIdentifier:
    case Code::kOverdraft: return 422;
    case Code::kErased: return 410;
    case Code::kBusy:
    case Code::kUnavailable: return 503;
    case Code::kCorruption:
    case Code::kIOError: return 500;
  }
  return 500;
}

HttpResponse Api::Problem(const Status& status) {
  apiv1::Problem problem;
  const std::string code(ledger::CodeName(status.code()));
  problem.set_type("/problems/" + code);
  problem.set_title(code);
  problem.set_status(HttpStatus(status.code()));
  problem.set_detail(status.message());
  problem.set_code(code);
  HttpResponse response = Json(problem, problem.status());
  response.content_type = "application/problem+json";
  if (status.code() == Code::kBusy) response.headers.emplace_back("Retry-After", "1");
  return response;
}

void Api::Handle(HttpRequest request, std::function<void(HttpResponse)> done) {
  auto request_ptr = std::make_shared<HttpRequest>(std::move(request));
  Call call{store_, vault_, &metrics_, std::chrono::steady_clock::now(), *request_ptr, {}, {}, {}, {},
            [request_ptr, metrics = &metrics_, done = std::move(done)](HttpResponse r) {
              metrics->CountRequest(r.status);
              done(std::move(r));
            }};
  call.witnesses = witnesses_;
  if (Status s = ParseTarget(request_ptr->target, &call.path, &call.query); !s.ok()) return Fail(call, s);
  const Route* found = nullptr;
  bool path_known = false;
  for (const Route& route : Routes()) {
    const std::string_view pattern = route.path;
    const bool prefix = pattern.back() == '/';
    const bool matches = prefix ? call.path.size() > pattern.size() && call.path.compare(0, pattern.size(), pattern) == 0
                                : call.path == pattern;
    if (!matches) continue;
    path_known = true;
    if (request_ptr->method != route.method) continue;
    found = &route;
    if (prefix) call.path_rest = call.path.substr(pattern.size());
    break;
  }
  if (found == nullptr) {
    HttpResponse response = Problem(Status(Code::kNotFound, path_known ? "method " + request_ptr->method +
                                                                             " is not allowed on " + call.path
                                                                       : "no such resource: " + call.path));
    if (path_known) response.status = 405;
    return call.done(std::move(response));
  }
  if (!found->access.is_public) {
    auto key = authenticate_(*request_ptr);
    if (!key.ok()) return Fail(call, key.status());
    auto record = store_->FindActor(*key);
    if (!record) return Fail(call, Status(Code::kUnknownSigner, "the request's signing key is not a registered actor"));
    call.caller = std::move(*record);
    if (call.caller.has_revoked_index()) {
      return Fail(call, Status(Code::kRevokedSigner, "actor '" + call.caller.actor().name() + "' is revoked"));
    }
    const auto& roles = found->access.roles;
    if (std::find(roles.begin(), roles.end(), call.caller.actor().role()) == roles.end()) {
      return Fail(call, Status(Code::kRoleNotAllowed, "role " + std::string(ledger::RoleName(call.caller.actor().role())) +
                                                          " may not call " + std::string(found->method) + " " +
                                                          found->path));
    }
  }
  found->handler(call);
}

}  // namespace api
