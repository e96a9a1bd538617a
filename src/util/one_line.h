// Error messages are one line: text from user files (a key, a value, a token) quoted in a
// message is written with its control characters escaped, so a newline inside a quoted YAML key
// cannot split the message.
#pragma once

#include <string>
#include <string_view>

namespace tinynmt {

/// `text` with every control character (bytes 0x00-0x1F and 0x7F) written as an escape: \n, \r,
/// \t, or \xNN. Other bytes, UTF-8 included, are kept. Throws nothing but std::bad_alloc.
std::string one_line(std::string_view text);

}  // namespace tinynmt
