// Token embeddings: optional sqrt(d) scaling and sinusoidal positions (Vaswani et al. 2017 §3.4,
// §3.5), dropout, and weight sharing for tied embeddings (Press & Wolf 2017).
#pragma once

#include <torch/torch.h>

#include "models/dropout.h"

namespace tinynmt {

struct EmbeddingsOptions {
  EmbeddingsOptions(int64_t vocab, int64_t dim) : vocab_(vocab), dim_(dim) {}
  TORCH_ARG(int64_t, vocab);
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(bool, scale) = false;       ///< multiply by sqrt(dim) (Transformer)
  TORCH_ARG(bool, positional) = false;  ///< add sinusoidal position encodings (Transformer)
  TORCH_ARG(double, dropout) = 0.0;
};

/// ids [batch, len] int64 -> [batch, len, dim]. With `shared` defined ([vocab, dim]) the module
/// uses that tensor as its weight without registering it (it is owned and registered elsewhere),
/// so tied parameters appear once in parameters(). Throws std::invalid_argument if `shared` has
/// the wrong shape.
class EmbeddingsImpl : public torch::nn::Module {
 public:
  explicit EmbeddingsImpl(const EmbeddingsOptions& options, torch::Tensor shared = {});
  /// offset: position of the first column (incremental decoding passes the step number).
  torch::Tensor forward(const torch::Tensor& ids, int64_t offset = 0);
  const torch::Tensor& weight() const { return weight_; }
  int64_t dim() const { return options_.dim(); }

 private:
  torch::Tensor positions(int64_t offset, int64_t len, const torch::Device& device);
  EmbeddingsOptions options_;
  torch::Tensor weight_;  // [vocab, dim]
  torch::Tensor table_;   // [max_len, dim] sinusoid cache, grown on demand (not a parameter)
  Dropout dropout_{nullptr};
};

TORCH_MODULE(Embeddings);

/// Sinusoidal position encodings (Vaswani et al. 2017 §3.5): [len, dim] for positions 0..len-1,
/// PE(pos, 2i) = sin(pos / 10000^(2i/dim)), PE(pos, 2i+1) = cos(...).
torch::Tensor sinusoidal_positions(int64_t len, int64_t dim);

}  // namespace tinynmt
