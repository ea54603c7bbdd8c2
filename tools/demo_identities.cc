#include "tools/demo_identities.h"

#include <array>
#include <cassert>
#include <cstdio>

namespace tools::demo {

namespace {

// GB 11643-1999: weight i = 2^(17-i) mod 11, check = "10X98765432"[sum mod 11].
constexpr std::array<int, 17> kResidentWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr std::string_view kResidentChecks = "10X98765432";
// GB 32100-2015: 31 characters (no I, O, S, V, Z), weight i = 3^i mod 31.
constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<int, 17> kCreditWeights = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
// GB 11714-1997 organization code: eight body characters, then 11 - (sum mod 11), with 10 -> X
// and 11 -> 0.
constexpr std::array<int, 8> kOrganizationWeights = {3, 7, 9, 10, 5, 8, 4, 2};

// Card prefixes of banks that issue Inner Mongolia's social security cards.
constexpr std::array<std::string_view, 4> kCardPrefixes = {"621700", "622848", "623052", "621661"};

constexpr std::array<std::string_view, 64> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "田", "董", "袁", "潘", "于", "蒋", "蔡", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "姚",
    "卢", "姜", "崔", "贾", "乔", "樊", "白", "孟", "秦", "薛", "闫", "段", "雷", "侯", "史", "郝"};
constexpr std::array<std::string_view, 40> kMaleGiven = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "阳", "峰", "建",
    "国", "志", "文", "东", "海", "亮", "成", "栋"};
constexpr std::array<std::string_view, 40> kFemaleGiven = {
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "颖", "琳", "洁",
    "倩", "晶", "红", "梅", "兰", "萍", "丹", "莉", "琴", "蓉", "悦", "欣", "佳", "月", "秀", "英",
    "凤", "云", "桂", "春", "荣", "宏", "亚", "珍"};
constexpr std::array<std::string_view, 12> kMongolianMale = {
    "巴特尔", "宝音", "额尔敦", "苏和", "朝鲁", "阿拉坦", "那顺", "孟和", "达来", "毕力格", "哈斯", "特木尔"};
constexpr std::array<std::string_view, 12> kMongolianFemale = {
    "其其格", "乌日娜", "萨仁", "图雅", "娜仁", "高娃", "塔娜", "斯琴", "格日勒", "阿茹娜", "苏日娜", "乌兰"};

template <std::size_t N>
std::string_view Pick(std::mt19937_64& random, const std::array<std::string_view, N>& list) {
  return list[static_cast<std::size_t>(Uniform(random, 0, static_cast<int>(N) - 1))];
}

}  // namespace

int Uniform(std::mt19937_64& random, int low, int high) {
  assert(low <= high);
  const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(high) - low + 1);
  return low + static_cast<int>(random() % span);  // The modulo bias is immaterial for a demo.
}

char ResidentIdCheck(std::string_view id17) {
  assert(id17.size() >= 17);
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (id17[i] - '0') * kResidentWeights[i];
  return kResidentChecks[static_cast<std::size_t>(sum % 11)];
}

std::string ResidentId(std::string_view division, int year, int month, int day, int sequence) {
  assert(division.size() == 6 && sequence >= 0 && sequence <= 999);
  char body[12];
  std::snprintf(body, sizeof body, "%04d%02d%02d%03d", year, month, day, sequence);
  std::string id = std::string(division) + body;
  assert(id.size() == 17);
  id += ResidentIdCheck(id);
  return id;
}

char CreditCodeCheck(std::string_view code17) {
  assert(code17.size() >= 17);
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    const std::size_t value = kCreditAlphabet.find(code17[i]);
    assert(value != std::string_view::npos);
    sum += static_cast<int>(value) * kCreditWeights[i];
  }
  return kCreditAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

std::string CreditCode(std::string_view authority_and_type, std::string_view division,
                       std::uint32_t organization) {
  assert(authority_and_type.size() == 2 && division.size() == 6 && organization < 100'000'000);
  char body[9];
  std::snprintf(body, sizeof body, "%08u", organization);
  int sum = 0;
  for (std::size_t i = 0; i < 8; ++i) sum += (body[i] - '0') * kOrganizationWeights[i];
  const int check = 11 - sum % 11;
  std::string code = std::string(authority_and_type) + std::string(division) + body;
  code += check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
  code += CreditCodeCheck(code);
  return code;
}

std::string BankCardNumber(std::mt19937_64& random) {
  std::string number(Pick(random, kCardPrefixes));
  while (number.size() < 18) number += static_cast<char>('0' + Uniform(random, 0, 9));
  // Luhn: double every second digit from the right, the check digit's place counting as first.
  int sum = 0;
  for (std::size_t i = 0; i < number.size(); ++i) {
    int digit = number[number.size() - 1 - i] - '0';
    if (i % 2 == 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  number += static_cast<char>('0' + (10 - sum % 10) % 10);
  return number;
}

std::string PersonName(std::mt19937_64& random, bool female) {
  if (Uniform(random, 0, 7) == 0) {
    return std::string(female ? Pick(random, kMongolianFemale) : Pick(random, kMongolianMale));
  }
  std::string name(Pick(random, kSurnames));
  const auto& given = female ? kFemaleGiven : kMaleGiven;
  name += Pick(random, given);
  if (Uniform(random, 0, 2) != 0) name += Pick(random, given);
  return name;
}

}  // namespace tools::demo
