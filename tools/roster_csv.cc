#include "tools/roster_csv.h"

#include <array>
#include <cctype>
#include <map>
#include <optional>

#include "ledger/constants.h"
#include "ledger/funds.h"
#include "ledger/identifiers.h"

namespace tools {

namespace {

using ledger::Code;
using ledger::Status;

// How much of a refused value a message quotes.
constexpr std::size_t kQuotedBytesMax = 40;

std::string Quote(std::string_view value) {
  if (value.size() <= kQuotedBytesMax) return "'" + std::string(value) + "'";
  // Cut at a character boundary so the message stays UTF-8.
  std::size_t end = kQuotedBytesMax;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xc0) == 0x80) --end;
  return "'" + std::string(value.substr(0, end)) + "…'";
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// --- The columns ------------------------------------------------------------------------------

enum class Field { kEventId, kFund, kRegion, kProgram, kPayee, kAccount, kAmount, kPeriod, kPayDate, kDocument };
constexpr std::size_t kFieldCount = 10;

struct Column {
  Field field;
  const char* chinese;
  const char* chinese_other;  // Another spelling ("" if none): full-width brackets, as Chinese input methods type.
  const char* english;
  bool required;              // Otherwise a flag can stand in for it (event id: --roster-id).
  const char* flag;
};

constexpr std::array<Column, kFieldCount> kColumns = {{
    {Field::kEventId, "事件编号", "", "event_id", false, "--roster-id"},
    {Field::kFund, "资金", "", "fund", true, ""},
    {Field::kRegion, "地区", "", "region", true, ""},
    {Field::kProgram, "项目", "", "program", true, ""},
    {Field::kPayee, "领取人", "", "payee", true, ""},
    {Field::kAccount, "账户", "", "account", true, ""},
    {Field::kAmount, "金额(元)", "金额（元）", "amount_yuan", true, ""},
    {Field::kPeriod, "所属期", "", "period", false, "--period"},
    {Field::kPayDate, "发放日期", "", "pay_date", false, "--pay-date"},
    {Field::kDocument, "文号", "", "document_number", false, "--document"},
}};

std::string Label(const Column& column) { return std::string(column.chinese) + "/" + column.english; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const Column* ColumnNamed(std::string_view name) {
  const std::string lower = Lower(name);
  for (const Column& column : kColumns) {
    if (name == column.chinese || (*column.chinese_other != '\0' && name == column.chinese_other) ||
        lower == column.english) {
      return &column;
    }
  }
  return nullptr;
}

// --- Values -----------------------------------------------------------------------------------

bool IsCode(std::string_view code) {
  if (code.empty() || code.size() > ledger::constants::code_bytes_max) return false;
  for (char c : code) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsLowerHex(std::string_view text, std::size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int Digits(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

// "YYYY-MM-DD", a real calendar date from 2000 to 2100: the rule of ledger/funds.cc, checked
// here so a bad row is named before anything is signed.
bool IsDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  if (!IsDigits(date.substr(0, 4)) || !IsDigits(date.substr(5, 2)) || !IsDigits(date.substr(8, 2))) return false;
  const int year = Digits(date.substr(0, 4));
  const int month = Digits(date.substr(5, 2));
  const int day = Digits(date.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 2000 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool IsMonth(std::string_view month) { return month.size() == 7 && IsDate(std::string(month) + "-01"); }

bool IsSubjectId(std::string_view payee) {
  return payee.size() == 33 && payee[0] == 's' && IsLowerHex(payee.substr(1), 32);
}

// What is wrong with `value` as `field`; "" if nothing.
std::string CheckValue(Field field, std::string_view value) {
  switch (field) {
    case Field::kEventId:
      if (value.empty()) return "event id is empty";
      if (value.size() > ledger::constants::event_id_bytes_max) {
        return "event id is longer than " + std::to_string(ledger::constants::event_id_bytes_max) + " bytes";
      }
      return "";
    case Field::kFund:
    case Field::kProgram:
      if (IsCode(value)) return "";
      return std::string(field == Field::kFund ? "fund " : "program ") + Quote(value) + " must be 1 to " +
             std::to_string(ledger::constants::code_bytes_max) + " characters of A-Z a-z 0-9 . _ -";
    case Field::kRegion:
      if (value.size() == 6 && IsDigits(value)) return "";
      return "region " + Quote(value) + " is not a six-digit division code like 150821";
    case Field::kPeriod:
      if (IsMonth(value)) return "";
      return "period " + Quote(value) + " is not a month YYYY-MM";
    case Field::kPayDate:
      if (IsDate(value)) return "";
      return "pay date " + Quote(value) + " is not a date YYYY-MM-DD from 2000 to 2100";
    case Field::kDocument:
      if (value.empty()) return "document number is empty";
      if (value.size() > ledger::constants::text_bytes_max) {
        return "document number is longer than " + std::to_string(ledger::constants::text_bytes_max) + " bytes";
      }
      return "";
    case Field::kAmount: {
      auto fen = ParseYuan(value);
      return fen.ok() ? "" : fen.status().message();
    }
    case Field::kPayee:
    case Field::kAccount:
      return "";  // CheckPayee: they are checked together.
  }
  return "";
}

// The payee and the account it is paid to: a person by subject id, to the account digest their
// registration carries; a unit by credit code, to its bank account number. Neither is quoted in
// a message: a payee column may hold an ID number by mistake, and accounts are bank data.
std::vector<std::string> CheckPayee(std::string_view payee, std::string_view account) {
  std::vector<std::string> problems;
  if (IsSubjectId(payee)) {
    if (!IsLowerHex(account, 32)) {
      problems.push_back("account must be the account digest of the person's registration (32 lower-case hex "
                         "digits), never their bank account number");
    }
    return problems;
  }
  if (payee.empty()) {
    problems.push_back("payee is empty");
  } else if (ledger::ValidateResidentId(payee).ok()) {
    problems.push_back("payee is a resident ID number: persons are paid by their subject id (docs/privacy.md), "
                       "and an ID number must never be sent to the ledger");
  } else if (Status s = ledger::ValidateCreditCode(payee); !s.ok()) {
    problems.push_back("payee is neither a subject id ('s' and 32 lower-case hex digits) nor a valid unified "
                       "social credit code");
  }
  const std::size_t digits_min = ledger::constants::vault_bank_account_digits_min;
  const std::size_t digits_max = ledger::constants::vault_bank_account_digits_max;
  if (!IsDigits(account) || account.size() < digits_min || account.size() > digits_max) {
    std::string problem = "account must be the unit's bank account number, " + std::to_string(digits_min) + " to " +
                          std::to_string(digits_max) + " digits";
    if (account.find_first_of("Ee") != std::string_view::npos && account.find('+') != std::string_view::npos) {
      problem += " (the spreadsheet wrote it as a number in scientific notation: format the column as text)";
    }
    problems.push_back(problem);
  }
  return problems;
}

// --- UTF-8 ------------------------------------------------------------------------------------

// The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or of the first NUL (a UTF-16 file is mostly
// ASCII and NULs); npos if there is none.
std::size_t FirstNonUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0) return i;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // The second byte's range.
    if (byte >= 0xc2 && byte <= 0xdf) {
      length = 2;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      length = 3;
      if (byte == 0xe0) low = 0xa0;
      if (byte == 0xed) high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      length = 4;
      if (byte == 0xf0) low = 0x90;
      if (byte == 0xf4) high = 0x8f;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (k == 1 ? (next < low || next > high) : (next < 0x80 || next > 0xbf)) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

std::size_t LineAt(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

// --- Rows -------------------------------------------------------------------------------------

bool IsBlank(const CsvRecord& record) {
  for (const std::string& field : record.fields) {
    if (!Trim(field).empty()) return false;
  }
  return true;
}

// Where each field comes from: a column's position, or a flag's value for every row.
struct Layout {
  std::array<std::optional<std::size_t>, kFieldCount> position;
  std::array<std::string, kFieldCount> fixed;  // Flag values, for fields without a column.
  std::size_t width = 0;                       // Fields in the header.
};

std::string OptionFor(Field field, const RosterCsvOptions& options) {
  switch (field) {
    case Field::kPeriod: return options.period;
    case Field::kPayDate: return options.pay_date;
    case Field::kDocument: return options.document_number;
    default: return "";
  }
}

// The header's columns, and the problems with them (all reported at the header's line).
Layout ReadHeader(const CsvRecord& header, const RosterCsvOptions& options, std::vector<RosterCsvProblem>* problems) {
  Layout layout;
  layout.width = header.fields.size();
  auto problem = [&](std::string message) { problems->push_back({header.line, std::move(message)}); };
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const Column* column = ColumnNamed(Trim(header.fields[i]));
    if (column == nullptr) continue;
    auto& position = layout.position[static_cast<std::size_t>(column->field)];
    if (position) {
      problem("column " + Quote(Trim(header.fields[i])) + " repeats column " +
              Quote(Trim(header.fields[*position])) + " (" + Label(*column) + ")");
      continue;
    }
    position = i;
  }
  for (const Column& column : kColumns) {
    const auto index = static_cast<std::size_t>(column.field);
    const bool has_column = layout.position[index].has_value();
    if (column.required) {
      if (!has_column) problem("no " + Label(column) + " column");
      continue;
    }
    if (column.field == Field::kEventId) {
      if (!has_column && options.roster_id.empty()) {
        problem("no " + Label(column) + " column and no --roster-id to number the rows with");
      }
      continue;
    }
    const std::string value = OptionFor(column.field, options);
    if (has_column && !value.empty()) {
      problem("both a " + Label(column) + " column and " + column.flag + ": give one");
    } else if (!has_column && value.empty()) {
      problem("no " + Label(column) + " column and no " + column.flag);
    } else if (!has_column) {
      if (std::string why = CheckValue(column.field, value); !why.empty()) problem(column.flag + std::string(": ") + why);
      layout.fixed[index] = value;
    }
  }
  return layout;
}

ledger::v1::Event EventOf(const std::array<std::string, kFieldCount>& value, const RosterCsvOptions& options) {
  auto get = [&](Field field) -> const std::string& { return value[static_cast<std::size_t>(field)]; };
  ledger::v1::Event event;
  event.set_origin(options.origin);
  event.set_event_id(get(Field::kEventId));
  event.set_timestamp_ms(options.timestamp_ms);
  ledger::v1::Disbursement* pay = event.mutable_disbursement();
  pay->set_fund_code(get(Field::kFund));
  pay->set_region_code(get(Field::kRegion));
  pay->set_program_code(get(Field::kProgram));
  // CheckValue has parsed it.
  pay->set_amount_fen(ParseYuan(get(Field::kAmount)).value());
  if (IsSubjectId(get(Field::kPayee))) {
    pay->set_subject_id(get(Field::kPayee));
  } else {
    pay->set_unit_code(get(Field::kPayee));
  }
  pay->set_account_ref(get(Field::kAccount));
  pay->set_period(get(Field::kPeriod));
  pay->set_pay_date(get(Field::kPayDate));
  pay->set_document_number(get(Field::kDocument));
  return event;
}

}  // namespace

ledger::Result<std::int64_t> ParseYuan(std::string_view text) {
  auto refuse = [&](const std::string& why) { return Status(Code::kInvalidAmount, "amount " + Quote(text) + why); };
  if (text.empty()) return Status(Code::kInvalidAmount, "amount is empty");
  if (text.front() == '-') return refuse(" must be more than 0");
  if (text.find(',') != std::string_view::npos) {
    return refuse(" has a thousands separator: export the column as a plain number");
  }
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view decimals = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (!IsDigits(whole) || (dot != std::string_view::npos && !IsDigits(decimals))) {
    return refuse(" is not yuan written as digits with at most two decimals, like 1589 or 1589.50");
  }
  if (decimals.size() > 2) return refuse(" has more than two decimals: the ledger counts whole fen");
  // Past amount_fen_max before it could overflow: the largest amount has 12 digits of yuan.
  std::int64_t fen = 0;
  for (char c : whole) {
    fen = fen * 10 + (c - '0');
    if (fen > ledger::constants::amount_fen_max / 100) {
      return refuse(" is beyond the ledger's limit of " + ledger::FormatYuan(ledger::constants::amount_fen_max) +
                    " yuan");
    }
  }
  fen *= 100;
  if (!decimals.empty()) fen += (decimals[0] - '0') * 10;
  if (decimals.size() == 2) fen += decimals[1] - '0';
  if (fen > ledger::constants::amount_fen_max) {
    return refuse(" is beyond the ledger's limit of " + ledger::FormatYuan(ledger::constants::amount_fen_max) +
                  " yuan");
  }
  if (fen == 0) return refuse(" must be more than 0");
  return fen;
}

std::vector<CsvRecord> SplitCsv(std::string_view text) {
  std::vector<CsvRecord> records;
  std::size_t i = 0;
  std::size_t line = 1;
  auto at_line_end = [&](std::size_t at) {
    return at >= text.size() || text[at] == '\n' || (text[at] == '\r' && at + 1 < text.size() && text[at + 1] == '\n');
  };
  // Moves past the end of the current line (its LF), counting it.
  auto skip_line = [&] {
    while (i < text.size() && text[i] != '\n') ++i;
    if (i < text.size()) {
      ++i;
      ++line;
    }
  };
  while (i < text.size()) {
    CsvRecord record;
    record.line = line;
    for (;;) {  // One field per turn.
      std::string field;
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) {
            record.error = "a quoted field is not closed before the end of the file";
            records.push_back(std::move(record));
            return records;
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        if (i < text.size() && text[i] != ',' && !at_line_end(i)) {
          record.error = "text after the closing quote of a field";
        }
      } else {
        while (i < text.size() && text[i] != ',' && !at_line_end(i)) {
          if (text[i] == '"') record.error = "a quote inside a field that does not start with one";
          field += text[i++];
        }
      }
      if (!record.error.empty()) {
        skip_line();
        break;
      }
      record.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size()) {  // LF or CRLF.
        i += text[i] == '\r' ? 2 : 1;
        ++line;
      }
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

RosterCsv ReadRosterCsv(std::string_view text, const RosterCsvOptions& options) {
  RosterCsv out;
  auto problem = [&](std::size_t line, std::string message) { out.problems.push_back({line, std::move(message)}); };
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (std::size_t bad = FirstNonUtf8(text); bad != std::string_view::npos) {
    problem(LineAt(text, bad), "the file is not UTF-8: save the spreadsheet as \"CSV UTF-8\"");
    return out;
  }
  std::vector<CsvRecord> records = SplitCsv(text);
  std::size_t next = 0;
  while (next < records.size() && records[next].error.empty() && IsBlank(records[next])) ++next;
  if (next == records.size()) {
    problem(1, "the file is empty: it needs a header and a row per payment");
    return out;
  }
  const CsvRecord& header = records[next++];
  if (!header.error.empty()) {
    problem(header.line, header.error);
    return out;
  }
  const Layout layout = ReadHeader(header, options, &out.problems);
  if (!out.problems.empty()) return out;

  std::map<std::string, std::size_t, std::less<>> event_id_lines;
  std::size_t rows = 0;
  for (; next < records.size(); ++next) {
    const CsvRecord& record = records[next];
    if (!record.error.empty()) {
      problem(record.line, record.error);
      continue;
    }
    if (IsBlank(record)) continue;
    if (++rows > ledger::constants::roster_events_max) {
      problem(record.line, "more than " + std::to_string(ledger::constants::roster_events_max) +
                               " rows: a roster holds at most that many payments; split the file");
      break;
    }
    if (record.fields.size() != layout.width) {
      problem(record.line, std::to_string(record.fields.size()) + " fields where the header has " +
                               std::to_string(layout.width));
      continue;
    }
    std::array<std::string, kFieldCount> value;
    std::size_t problems_before = out.problems.size();
    for (const Column& column : kColumns) {
      const auto index = static_cast<std::size_t>(column.field);
      if (layout.position[index]) {
        value[index] = std::string(Trim(record.fields[*layout.position[index]]));
        if (std::string why = CheckValue(column.field, value[index]); !why.empty()) problem(record.line, why);
      } else if (column.field == Field::kEventId) {
        value[index] = options.roster_id + "-" + std::to_string(rows);
        if (std::string why = CheckValue(column.field, value[index]); !why.empty()) problem(record.line, why);
      } else {
        value[index] = layout.fixed[index];
      }
    }
    for (std::string& why : CheckPayee(value[static_cast<std::size_t>(Field::kPayee)],
                                       value[static_cast<std::size_t>(Field::kAccount)])) {
      problem(record.line, std::move(why));
    }
    const std::string& event_id = value[static_cast<std::size_t>(Field::kEventId)];
    if (!event_id.empty()) {
      auto [first, inserted] = event_id_lines.emplace(event_id, record.line);
      if (!inserted) problem(record.line, "event id " + Quote(event_id) + " is also on line " + std::to_string(first->second));
    }
    if (out.problems.size() == problems_before) out.events.push_back(EventOf(value, options));
  }
  if (rows == 0 && out.problems.empty()) problem(header.line, "the file has a header but no rows");
  if (!out.problems.empty()) out.events.clear();
  return out;
}

}  // namespace tools
