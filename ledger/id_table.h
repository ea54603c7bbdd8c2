// IdTable: event ids (views of bytes someone else owns) to small integers, for one batch or
// one roster. Open addressing over a power-of-two array of slots sized once for the ids to come:
// an insert or a lookup is one hash and usually one cache line, and the table is one allocation,
// where a node-based map allocated (and the committer later freed) a node per id. On the roster
// bench the node map's lookups were a fifth of the sequencer's time. Internal to ledger/.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace ledger::internal {

class IdTable {
 public:
  // Empties the table and sizes it for `ids` inserts (at most half its slots in use).
  void Reset(std::size_t ids) {
    std::size_t slots = 16;
    while (slots < 2 * ids) slots *= 2;
    slots_.assign(slots, Slot{});
    mask_ = slots - 1;
    size_ = 0;
  }

  bool empty() const { return size_ == 0; }

  // The value stored for `id`, or null.
  const std::uint32_t* Find(std::string_view id) const {
    if (size_ == 0) return nullptr;
    const std::uint64_t hash = Hash(id);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.hash == 0) return nullptr;
      if (slot.hash == hash && slot.id == id) return &slot.value;
    }
  }

  // Stores `value` for `id` unless it is there already; false if it was (the old value stays).
  // At most the count given to Reset may be inserted.
  bool Insert(std::string_view id, std::uint32_t value) {
    assert(2 * (size_ + 1) <= slots_.size());  // Reset was told of this id.
    const std::uint64_t hash = Hash(id);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.hash == 0) {
        slot = Slot{hash, id, value};
        ++size_;
        return true;
      }
      if (slot.hash == hash && slot.id == id) return false;
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty.
    std::string_view id;
    std::uint32_t value = 0;
  };

  static std::uint64_t Hash(std::string_view id) {
    const std::uint64_t hash = std::hash<std::string_view>{}(id);
    return hash == 0 ? 1 : hash;
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace ledger::internal
