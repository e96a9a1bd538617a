// Template definitions for align/pharaoh.h.
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinynmt::align {

template <typename T, typename Parse>
std::vector<T> read_lines_parsed(const std::string& path, const std::string& what, Parse parse) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open {}", path, what));
  std::vector<T> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(parse(line, fmt::format("{}:{}", path, line_no)));
  }
  return out;
}

}  // namespace tinynmt::align
