// The .npy writer: two NumPy arrays per record (subword and word level).
#include <fmt/format.h>

#include <cstdint>

#include "align/record_writer.h"

namespace tinynmt::align {
namespace {

// Flattens [layers][heads][rows][cols] for write_npy.
void write_matrices_npy(const std::string& path, const LayerHeadMatrices& m, int64_t rows,
                        int64_t cols) {
  std::vector<float> data;
  int64_t layers = static_cast<int64_t>(m.size());
  int64_t heads = layers ? static_cast<int64_t>(m[0].size()) : 0;
  data.reserve(static_cast<size_t>(layers * heads * rows * cols));
  for (const auto& layer : m)
    for (const auto& mat : layer)
      for (const auto& row : mat) data.insert(data.end(), row.begin(), row.end());
  write_npy(path, data, {layers, heads, rows, cols});
}

class NpyWriter : public RecordWriter {
 public:
  explicit NpyWriter(std::string prefix) : prefix_(std::move(prefix)) {}
  void write(const AttentionRecord& rec) override {
    const std::string stem = fmt::format("{}.{:04d}", prefix_, rec.index);
    write_matrices_npy(stem + ".subword.npy", rec.subword,
                       static_cast<int64_t>(rec.tgt_tokens.size()),
                       static_cast<int64_t>(rec.src_tokens.size()));
    write_matrices_npy(stem + ".word.npy", rec.word, static_cast<int64_t>(rec.tgt_words.size()),
                       static_cast<int64_t>(rec.src_words.size()));
  }

 private:
  std::string prefix_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_npy_writer(const std::string& prefix,
                                              const RecordWriterOptions& /*options*/) {
  return std::make_unique<NpyWriter>(prefix);
}

}  // namespace tinynmt::align
