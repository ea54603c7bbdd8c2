// Vault: the personal data (name, resident ID number, bank account) of the people the ledger
// pays, kept outside the hash chain so that it can be erased. The log names a person only by a
// pseudonymous subject id and a bank account only by its digest; both are keyed hashes that
// nobody without DIR/vault.key can compute or reverse by trying every ID number.
//
// Each record is sealed under its own random key, stored wrapped under a key derived from the
// master secret in DIR/vault.key. Erasing a person destroys their key and record and leaves a
// marker, so the subject id stays known as erased. Files, formats, derivations and what erasure
// does and does not guarantee: docs/privacy.md.
//
// Thread safety: every method may be called from any thread; Register, Read, Erase and Contains
// are serialized by one mutex, SubjectId and AccountDigest take none. One process at a time may
// open a vault (RocksDB locks it).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace ledger {

// Personal data of one person, all of it secret.
struct PersonalData {
  std::string name;          // UTF-8, 1 to constants::vault_name_bytes_max bytes.
  std::string id_number;     // Resident ID (GB 11643-1999), check character upper case.
  std::string bank_account;  // Digits only, constants::vault_bank_account_digits_{min,max}.

  bool operator==(const PersonalData&) const = default;
};

// Paths inside a data directory.
std::string VaultPath(const std::string& data_dir);     // DIR/vault (RocksDB)
std::string VaultKeyPath(const std::string& data_dir);  // DIR/vault.key (32 bytes, mode 0600)

class Vault {
 public:
  // Opens the vault of the ledger in `data_dir` (an existing directory), creating the key file
  // and the database if neither exists. kInvalidArgument if vault.key is group- or
  // world-readable (refused, not read); kCorruption if vault.key is missing while the database
  // exists, is not 32 bytes, or is not the key the database was created with.
  static Result<std::unique_ptr<Vault>> Open(const std::string& data_dir);

  ~Vault();  // Closes RocksDB and wipes the keys.
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  // "s" + 32 hex digits: the first 16 bytes of a keyed hash of the ID number. The same number
  // always gives the same id; `id_number` is not validated here.
  std::string SubjectId(std::string_view id_number) const;
  // 32 hex digits: the first 16 bytes of a keyed hash of the account number, so the log can
  // show a payment went to the person's own account without holding the number.
  std::string AccountDigest(std::string_view bank_account) const;

  // Stores `person` and returns their subject id. Registering the same data again returns the
  // same id. kInvalidIdentifier for a bad ID number, kInvalidArgument for a bad name or
  // account (nothing is stored), kAlreadyExists if the ID number is registered with other data,
  // kErased if its person was erased. No message carries the personal data.
  Result<std::string> Register(const PersonalData& person);
  // kInvalidArgument if `subject_id` is not shaped like one, kNotFound if never registered,
  // kErased if erased, kCorruption if the stored record does not unseal or belongs to
  // another subject.
  Result<PersonalData> Read(std::string_view subject_id) const;
  // Destroys the subject's key and record for good and marks the id erased, then flushes and
  // compacts so the bytes leave RocksDB's files. Ok if already erased; kNotFound if never
  // registered. A kIOError after the marker is written still leaves the person erased.
  Status Erase(std::string_view subject_id);
  // True if the vault holds data for the subject: registered and not erased. False also for a
  // malformed id or a failed read.
  bool Contains(std::string_view subject_id) const;

  class Impl;

 private:
  explicit Vault(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
