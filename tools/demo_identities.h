// Fake but well-formed identities for the demo ledger: resident ID numbers with a real birth date
// and the GB 11643-1999 check character, unified social credit codes with the GB 32100-2015 check
// character (and a GB 11714 organization code inside), bank card numbers with a Luhn digit, and
// plausible Chinese names. Everything is drawn from a caller's std::mt19937_64, whose output the
// C++ standard fixes, so a seed always gives the same people on every platform (the standard's
// distributions are not fixed across libraries, so none is used). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace tools::demo {

// A number in [low, high], the same for a given generator state on every platform.
int Uniform(std::mt19937_64& random, int low, int high);

// 18 characters: `division` (six digits), the birth date YYYYMMDD, the three-digit `sequence`
// (odd for a man, even for a woman) and the GB 11643-1999 check character.
std::string ResidentId(std::string_view division, int year, int month, int day, int sequence);
// The GB 11643-1999 check character of the first 17 characters of `id`.
char ResidentIdCheck(std::string_view id17);

// 18 characters: the registration authority and unit type (e.g. "91" for a company registered
// by market regulation, "52" for a private non-enterprise unit), the six-digit `division`, the
// nine-character organization code made from `organization` (eight digits and their GB 11714
// check character) and the GB 32100-2015 check character.
std::string CreditCode(std::string_view authority_and_type, std::string_view division,
                       std::uint32_t organization);
// The GB 32100-2015 check character of the first 17 characters of `code`.
char CreditCodeCheck(std::string_view code17);

// A 19-digit bank card number (social security cards are bank cards): a card prefix, digits from
// `random` and the Luhn check digit.
std::string BankCardNumber(std::mt19937_64& random);

// A plausible name: a Han surname and a one- or two-character given name, or, for about one in
// eight people, a Mongolian name. `female` picks the given names.
std::string PersonName(std::mt19937_64& random, bool female);

}  // namespace tools::demo
