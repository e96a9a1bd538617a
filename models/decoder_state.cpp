// DecoderState's row selection and beam reordering (models/seq2seq.h).
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

}  // namespace

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
  select_all(constants, index);
  for (auto& c : caches) c = select_cache_rows(c, index);
}

void DecoderState::reorder(const torch::Tensor& row_index, const torch::Tensor& sentence_index) {
  select_all(rows, row_index);
  if (!sentence_index.defined()) return;
  select_all(constants, sentence_index);
  for (auto& c : caches) c = select_cache_rows(c, sentence_index);
}

}  // namespace tinynmt
