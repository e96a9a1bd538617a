#include "util/one_line.h"

#include <cstdio>

namespace tinynmt {

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7F) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", byte);
      out += buf;
    }
  }
  return out;
}

}  // namespace tinynmt
