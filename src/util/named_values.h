// Choices named on the command line (--method, --format, ...): a table of (name, value) entries,
// the lookup of a name and the list of names that help texts and error messages show.
#pragma once

#include <iterator>
#include <string>
#include <string_view>

namespace tinynmt {

/// One entry of a table of choices.
template <typename T>
struct Named {
  std::string_view name;
  T value;
};

/// The value of the entry named `name` in `table` (any range of Named<T>), or nullptr. Throws
/// nothing.
template <typename Table>
auto find_named(const Table& table, std::string_view name) -> decltype(&std::begin(table)->value) {
  for (const auto& e : table)
    if (e.name == name) return &e.value;
  return nullptr;
}

/// The names of `table`, in its order, joined by ", " ("a, b, c"). Throws std::bad_alloc only.
template <typename Table>
std::string joined_names(const Table& table) {
  std::string out;
  for (const auto& e : table) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

}  // namespace tinynmt
