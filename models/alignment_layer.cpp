#include "models/alignment_layer.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/special_ids.h"

namespace tinynmt {

AlignmentLayerImpl::AlignmentLayerImpl(const AlignmentLayerOptions& o) : options_(o) {
  if (o.query_dim < 1 || o.key_dim < 1 || o.value_dim < 1 || o.output_dim < 1 || o.hidden_dim < 1)
    throw std::invalid_argument("alignment layer: every size must be >= 1");
  query_ = register_module("query",
                           torch::nn::Linear(torch::nn::LinearOptions(o.query_dim, o.hidden_dim)));
  key_ =
      register_module("key", torch::nn::Linear(torch::nn::LinearOptions(o.key_dim, o.hidden_dim)));
  if (o.value_ff < 0) throw std::invalid_argument("alignment layer: value_ff must be >= 0");
  if (o.value_ff > 0)
    value_in_ = register_module(
        "value_in", torch::nn::Linear(torch::nn::LinearOptions(o.value_dim, o.value_ff)));
  value_ = register_module(
      "value", torch::nn::Linear(
                   torch::nn::LinearOptions(o.value_ff > 0 ? o.value_ff : o.value_dim, o.output_dim)
                       .bias(false)));
}

AlignmentLayerOutput AlignmentLayerImpl::forward(const torch::Tensor& features,
                                                 const torch::Tensor& memory,
                                                 const torch::Tensor& src_words,
                                                 const torch::Tensor& src_mask) {
  if (features.dim() != 3 || memory.dim() != 3 || src_words.dim() != 3 || src_mask.dim() != 2 ||
      features.size(0) != memory.size(0) || memory.size(0) != src_words.size(0) ||
      memory.size(1) != src_words.size(1) || src_mask.size(0) != memory.size(0) ||
      src_mask.size(1) != memory.size(1) || features.size(2) != options_.query_dim ||
      memory.size(2) != options_.key_dim || src_words.size(2) != options_.value_dim)
    throw std::invalid_argument(
        "alignment layer: features [b, T, " + std::to_string(options_.query_dim) +
        "], memory [b, S, " + std::to_string(options_.key_dim) + "], src_words [b, S, " +
        std::to_string(options_.value_dim) + "] and src_mask [b, S] do not fit");
  auto q = query_(features);  // [b, T, h]
  auto k = key_(memory);      // [b, S, h]
  auto scores = torch::matmul(q, k.transpose(1, 2)) /
                std::sqrt(static_cast<double>(options_.hidden_dim));  // [b, T, S]
  scores = scores.masked_fill(~src_mask.unsqueeze(1), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, -1);  // [b, T, S]
  auto v =
      value_in_ ? value_(torch::relu(value_in_(src_words))) : value_(src_words);  // [b, S, out]
  auto context = torch::matmul(weights, v);                                       // [b, T, out]
  return {context, weights};
}

AlignmentLayerOutput AlignmentLayerImpl::attend(Seq2SeqImpl& model, const torch::Tensor& src,
                                                const Seq2SeqOutput& fw) {
  auto words = model.source_word_embeddings(src);  // [b, S, E]
  if (!fw.features.defined() || !fw.memory.defined() || !words.defined())
    throw std::invalid_argument(
        "alignment layer: the model gives no decoder features, encoder states or source "
        "embeddings");
  return forward(fw.features, fw.memory, words, alignment_key_mask(src, fw.src_mask));
}

torch::Tensor alignment_key_mask(const torch::Tensor& src, const torch::Tensor& src_mask) {
  auto mask = src_mask & src.ne(kEosId);                      // [b, S]
  return mask | (src_mask & ~mask.any(1, /*keepdim=*/true));  // keep EOS if nothing else
}

}  // namespace tinynmt
