// Base64 (RFC 4648 §4, standard alphabet, '=' padding): how binary data travels inside text
// files such as the self-contained attention page.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinynmt {

/// The RFC 4648 base64 text of `bytes` (length 4·ceil(n/3)).
std::string base64_encode(const std::vector<uint8_t>& bytes);

/// The bytes of a base64 text written by base64_encode (whitespace is not allowed).
/// Throws std::invalid_argument on a length that is not a multiple of 4 or a character outside
/// the alphabet.
std::vector<uint8_t> base64_decode(const std::string& text);

}  // namespace tinynmt
