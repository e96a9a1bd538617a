// Text inside HTML or SVG markup.
#pragma once

#include <string>

namespace tinynmt {

/// `s` with <, >, & and " written as entities, safe as element text or a quoted attribute value.
inline std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace tinynmt
