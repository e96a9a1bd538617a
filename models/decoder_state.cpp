// DecoderState's row selection and beam reordering (models/seq2seq.h).
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/seq2seq.h"

namespace tinynmt {
namespace {

void select_all(std::map<std::string, torch::Tensor>& tensors, const torch::Tensor& index) {
  for (auto& kv : tensors)
    if (kv.second.defined()) kv.second = kv.second.index_select(0, index);  // [n, ...]
}

// Whether `view` reads `buffer`'s memory with the buffer's row stride, so the same view can be
// rebuilt on a row selection of the buffer.
bool row_view_of(const torch::Tensor& view, const torch::Tensor& buffer) {
  return view.defined() && view.is_alias_of(buffer) && view.dim() >= 1 &&
         view.stride(0) == buffer.stride(0) && view.storage_offset() >= buffer.storage_offset();
}

// Rows `index` of the first `length` positions of buf [rows, heads, capacity, d] into a new
// buffer of the same capacity. On the CPU one copy of the valid part of each (row, head); on
// other devices through index_select.
torch::Tensor select_valid_rows(const torch::Tensor& buf, const torch::Tensor& index,
                                const std::vector<int64_t>& idx, int64_t length) {
  const int64_t n = index.size(0), heads = buf.size(1), cap = buf.size(2), d = buf.size(3);
  auto out = torch::empty({n, heads, cap, d}, buf.options());  // [n, heads, capacity, d]
  if (!buf.device().is_cpu() || !buf.is_contiguous()) {
    out.narrow(2, 0, length).copy_(buf.narrow(2, 0, length).index_select(0, index));
    return out;
  }
  const auto bytes = static_cast<size_t>(length * d) * buf.element_size();
  const auto row_bytes = static_cast<size_t>(heads * cap * d) * buf.element_size();
  const auto head_bytes = static_cast<size_t>(cap * d) * buf.element_size();
  const auto* src = static_cast<const char*>(buf.data_ptr());
  auto* dst = static_cast<char*>(out.data_ptr());
  at::parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t h = 0; h < heads; ++h)
        std::memcpy(dst + r * row_bytes + h * head_bytes, src + idx[r] * row_bytes + h * head_bytes,
                    bytes);
  });
  return out;
}

}  // namespace

AttentionCache GrowingCache::valid() const {
  if (empty()) return {};
  return {keys.narrow(2, 0, length), values.narrow(2, 0, length)};  // [rows, heads, length, d_k]
}

void GrowingCache::append(const AttentionCache& step) {
  const auto& k = step.keys;
  const auto& v = step.values;
  if (!k.defined() || !v.defined() || k.dim() != 4 || v.sizes() != k.sizes() ||
      (!empty() &&
       (k.size(0) != keys.size(0) || k.size(1) != keys.size(1) || k.size(3) != keys.size(3))))
    throw std::invalid_argument(
        "GrowingCache::append: keys and values must be [rows, heads, n, d_k] of the cache's rows, "
        "heads and d_k");
  const int64_t n = k.size(2);
  if (empty() || length + n > keys.size(2)) {  // start, or double the capacity
    const int64_t cap = std::max<int64_t>(2 * (length + n), 16);
    auto grow = [&](const torch::Tensor& old, const torch::Tensor& like) {
      auto buf = torch::empty({like.size(0), like.size(1), cap, like.size(3)}, like.options());
      if (length > 0) buf.narrow(2, 0, length).copy_(old.narrow(2, 0, length));
      return buf;  // [rows, heads, capacity, d_k]
    };
    keys = grow(keys, k);
    values = grow(values, v);
  }
  keys.narrow(2, length, n).copy_(k);
  values.narrow(2, length, n).copy_(v);
  length += n;
}

void GrowingCache::select(const torch::Tensor& index) {
  if (empty()) return;
  auto host = index.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> idx(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
  for (int64_t i : idx)
    if (i < 0 || i >= keys.size(0))
      throw std::out_of_range("GrowingCache::select: row " + std::to_string(i) + " of " +
                              std::to_string(keys.size(0)));
  keys = select_valid_rows(keys, index, idx, length);
  values = select_valid_rows(values, index, idx, length);
}

AttentionCache select_cache_rows(const AttentionCache& cache, const torch::Tensor& index) {
  const torch::Tensor& packed = cache.packed;
  if (packed.defined() && packed.dim() >= 1 && packed.is_contiguous() &&
      row_view_of(cache.keys, packed) && row_view_of(cache.values, packed)) {
    auto selected = packed.index_select(0, index);  // [n, src_len, width], contiguous
    auto rebuild = [&](const torch::Tensor& view) {
      auto sizes = view.sizes().vec();
      sizes[0] = index.size(0);
      const int64_t offset = view.storage_offset() - packed.storage_offset();
      return selected.as_strided(sizes, view.strides(), selected.storage_offset() + offset);
    };
    return {rebuild(cache.keys), rebuild(cache.values), selected};
  }
  AttentionCache out;
  if (cache.keys.defined()) out.keys = cache.keys.index_select(0, index);        // [n, ...]
  if (cache.values.defined()) out.values = cache.values.index_select(0, index);  // [n, ...]
  if (packed.defined()) out.packed = packed.index_select(0, index);              // [n, ...]
  return out;
}

void DecoderState::select(const torch::Tensor& index) {
  select_all(rows, index);
  for (auto& g : growing) g.select(index);
  select_all(constants, index);
  for (auto& c : caches) c = select_cache_rows(c, index);
}

void DecoderState::reorder(const torch::Tensor& row_index, const torch::Tensor& sentence_index) {
  select_all(rows, row_index);
  for (auto& g : growing) g.select(row_index);
  if (!sentence_index.defined()) return;
  select_all(constants, sentence_index);
  for (auto& c : caches) c = select_cache_rows(c, sentence_index);
}

}  // namespace tinynmt
