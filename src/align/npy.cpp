// NumPy .npy arrays (declared in align/attention_io.h): the writer behind `align --npy` and the
// reader, which checks every size the file claims against the file before allocating.
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "util/one_line.h"

namespace tinynmt::align {

void write_npy(const std::string& path, const std::vector<float>& data,
               const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw std::invalid_argument(fmt::format("write_npy: negative dimension {}", d));
    n *= d;
  }
  if (n != static_cast<int64_t>(data.size())) {
    throw std::invalid_argument(
        fmt::format("write_npy: {}: shape holds {} values but data has {}", path, n, data.size()));
  }
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dims += ",";
    if (i + 1 < shape.size()) dims += " ";
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write .npy file", path));
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  // float32 little-endian: copy bytes, swapping on big-endian hosts.
  for (float v : data) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    const char b[4] = {static_cast<char>(bits & 0xFF), static_cast<char>((bits >> 8) & 0xFF),
                       static_cast<char>((bits >> 16) & 0xFF),
                       static_cast<char>((bits >> 24) & 0xFF)};
    out.write(b, 4);
  }
  if (!out) throw std::runtime_error(fmt::format("{}: write failed", path));
}

namespace {

// The dimensions in a .npy header's shape tuple ("2, 4, 9" or "7," or ""): non-negative decimal
// integers. Throws std::runtime_error naming `path` for anything else.
std::vector<int64_t> npy_shape(const std::string& tuple, const std::string& path) {
  std::vector<int64_t> dims;
  std::stringstream ss(tuple);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const auto last = item.find_last_not_of(' ');
    const std::string digits = item.substr(first, last - first + 1);
    if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) {
      throw std::runtime_error(
          fmt::format("{}: bad dimension '{}' in the .npy shape", path, one_line(digits)));
    }
    dims.push_back(std::stoll(digits));
  }
  return dims;
}

}  // namespace

std::vector<float> read_npy(const std::string& path, std::vector<int64_t>* shape) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open .npy file", path));
  const auto file_size = in.tellg();  // bounds every size the header claims
  in.seekg(0);
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw std::runtime_error(fmt::format("{}: not a .npy file", path));
  }
  size_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<size_t>(b[3]) << 24);
  }
  const auto header_start = in.tellg();
  if (!in || header_len > static_cast<size_t>(file_size - header_start)) {
    throw std::runtime_error(fmt::format("{}: truncated .npy header", path));
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) {
    throw std::runtime_error(fmt::format("{}: truncated .npy header", path));
  }
  if (header.find("'descr': '<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error(
        fmt::format("{}: only little-endian float32 C-order .npy files are supported", path));
  }
  auto open = header.find("'shape': (");
  auto close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    throw std::runtime_error(fmt::format("{}: .npy header has no shape", path));
  }
  const std::vector<int64_t> dims = npy_shape(header.substr(open + 10, close - open - 10), path);
  const int64_t data_bytes = static_cast<int64_t>(file_size - in.tellg());
  int64_t n = 1;
  for (int64_t d : dims) {
    // Checked before multiplying, so the product never overflows: it stays <= the file's size.
    if (d > 0 && n > data_bytes / 4 / d) {
      throw std::runtime_error(fmt::format("{}: truncated .npy data", path));
    }
    n *= d;
  }
  std::vector<float> data(static_cast<size_t>(n));
  for (auto& v : data) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) {
      throw std::runtime_error(fmt::format("{}: truncated .npy data", path));
    }
    uint32_t bits = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    std::memcpy(&v, &bits, 4);
  }
  if (shape) *shape = dims;
  return data;
}

}  // namespace tinynmt::align
