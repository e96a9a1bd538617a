// models/embeddings: token embeddings with sqrt(d) scaling and sinusoidal positions
// (Vaswani et al. 2017 §3.4, §3.5).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "models/embeddings.h"

namespace tinynmt {
namespace {

TEST(Embeddings, SinusoidalPositionsAndScaling) {
  auto pe = sinusoidal_positions(50, 8);  // [50, 8]
  EXPECT_NEAR(pe[0][0].item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(pe[0][1].item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(pe[7][2].item<double>(), std::sin(7.0 / std::pow(10000.0, 2.0 / 8)), 1e-5);
  EXPECT_NEAR(pe[7][3].item<double>(), std::cos(7.0 / std::pow(10000.0, 2.0 / 8)), 1e-5);
  Embeddings emb(EmbeddingsOptions(10, 8).scale(true).positional(true));
  auto ids = torch::tensor({{4, 5, 6}}, torch::kInt64);
  auto x = emb(ids, 2);  // [1, 3, 8], positions 2..4
  auto expect = emb->weight().index_select(0, ids[0]) * std::sqrt(8.0) + pe.slice(0, 2, 5);
  EXPECT_LT((x[0] - expect).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace tinynmt
