// The fused GRU cell (models/gru_cell.h) against the same cell written as LibTorch ops.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "models/gru_cell.h"

namespace {

using tinynmt::gru_cell;
using tinynmt::gru_cell_reference;

// Forward value and the gradients of all three inputs, in float64 so that only the formulas can
// differ; h is a strided view (a column slice) as the decoder's bridged state is.
TEST(GruCell, FusedEqualsReferenceForwardAndBackward) {
  torch::manual_seed(11);
  const int64_t b = 37, H = 19;
  auto opts = torch::TensorOptions().dtype(torch::kDouble);
  auto gx = (torch::randn({b, 3 * H}, opts) * 2).requires_grad_(true);
  auto gh = (torch::randn({b, 3 * H}, opts) * 2).requires_grad_(true);
  auto h_full = torch::randn({b, 2 * H}, opts).requires_grad_(true);
  auto h = h_full.slice(1, 0, H);  // [b, H], row stride 2H
  auto upstream = torch::randn({b, H}, opts);

  auto grads = [&](const torch::Tensor& out) {
    auto g = torch::autograd::grad({out}, {gx, gh, h_full}, {upstream});
    return g;
  };
  auto fused = gru_cell(gx, gh, h);
  auto reference = gru_cell_reference(gx, gh, h);
  EXPECT_LT((fused - reference).abs().max().item<double>(), 1e-12);
  auto gf = grads(fused), gr = grads(reference);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_LT((gf[k] - gr[k]).abs().max().item<double>(), 1e-12) << "input " << k;
    EXPECT_GT(gr[k].abs().sum().item<double>(), 0.0) << "input " << k;
  }
}

TEST(GruCell, FloatMatchesAndShapesAreChecked) {
  torch::manual_seed(12);
  auto gx = torch::randn({5, 24}), gh = torch::randn({5, 24}), h = torch::randn({5, 8});
  EXPECT_LT((gru_cell(gx, gh, h) - gru_cell_reference(gx, gh, h)).abs().max().item<double>(), 1e-6);
  EXPECT_THROW(gru_cell(gx, gh, torch::randn({5, 7})), std::invalid_argument);
  EXPECT_THROW(gru_cell(gx.slice(1, 0, 21), gh, h), std::invalid_argument);
}

}  // namespace
