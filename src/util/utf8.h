// Small UTF-8 helpers (the metrics, heatmap label widths): decoding to code points and Python's
// notion of whitespace (str.split() / str.isspace()), which sacreBLEU's tokenisers rely on.
#pragma once

#include <string>
#include <vector>

namespace tinynmt {

/// Decodes UTF-8 into code points. Invalid bytes become U+FFFD (one per byte); never throws.
std::u32string utf8_decode(const std::string& s);

/// Encodes code points as UTF-8.
std::string utf8_encode(const std::u32string& s);

/// True for the code points Python's str.isspace() accepts (ASCII whitespace, U+001C..U+001F,
/// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
bool is_python_space(char32_t c);

/// Python's `s.split()`: splits on runs of whitespace (is_python_space), drops empty pieces.
std::vector<std::string> python_split(const std::string& s);

}  // namespace tinynmt
