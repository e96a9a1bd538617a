#include "models/embeddings.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tinynmt {

torch::Tensor sinusoidal_positions(int64_t len, int64_t dim) {
  auto pos = torch::arange(len, torch::kFloat).unsqueeze(1);  // [len, 1]
  auto i = torch::arange(0, dim, 2, torch::kFloat);           // [ceil(dim/2)]
  auto freq = torch::exp(i * (-std::log(10000.0) / static_cast<double>(dim)));
  auto angle = pos * freq.unsqueeze(0);  // [len, ceil(dim/2)]
  auto pe = torch::zeros({len, dim});
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                torch::sin(angle));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(angle).slice(1, 0, dim / 2));
  return pe;  // [len, dim]
}

EmbeddingsImpl::EmbeddingsImpl(const EmbeddingsOptions& options, torch::Tensor shared)
    : options_(options) {
  if (shared.defined()) {
    if (shared.dim() != 2 || shared.size(0) != options_.vocab() || shared.size(1) != options_.dim())
      throw std::invalid_argument(
          "embeddings: shared weight has shape " + std::to_string(shared.size(0)) + "x" +
          std::to_string(shared.size(1)) + ", expected " + std::to_string(options_.vocab()) + "x" +
          std::to_string(options_.dim()));
    weight_ = shared;
  } else {
    weight_ = register_parameter("weight", torch::randn({options_.vocab(), options_.dim()}) /
                                               std::sqrt(static_cast<double>(options_.dim())));
  }
  dropout_ = register_module("dropout", Dropout(options_.dropout()));
}

torch::Tensor EmbeddingsImpl::positions(int64_t offset, int64_t len, const torch::Device& device) {
  if (!table_.defined() || table_.size(0) < offset + len || table_.device() != device)
    table_ =
        sinusoidal_positions(std::max<int64_t>(512, 2 * (offset + len)), options_.dim()).to(device);
  return table_.slice(0, offset, offset + len);  // [len, dim]
}

torch::Tensor EmbeddingsImpl::forward(const torch::Tensor& ids, int64_t offset) {
  auto x = torch::embedding(weight_, ids);  // [batch, len, dim]
  if (options_.scale()) x = x * std::sqrt(static_cast<double>(options_.dim()));
  if (options_.positional())
    x = x + positions(offset, ids.size(1), x.device()).to(x.scalar_type()).unsqueeze(0);
  return dropout_(x);
}

}  // namespace tinynmt
