// models/affine.h: x·Wᵀ + b through one addmm equals torch::linear in value and gradient, for
// the inputs that take the fused path (contiguous, more than 2 dims) and those that do not.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/affine.h"

namespace {

void expect_same_as_linear(const torch::Tensor& x_in, bool with_bias) {
  auto w = torch::randn({6, x_in.size(-1)}, torch::requires_grad());
  auto b = with_bias ? torch::randn({6}, torch::requires_grad()) : torch::Tensor();
  auto x = x_in.detach().requires_grad_(true);
  auto mine = tinynmt::affine(x, w, b);
  auto up = torch::linspace(-1, 1, mine.numel()).view(mine.sizes());
  (mine * up).sum().backward();
  auto gx = x.grad().clone(), gw = w.grad().clone();
  x.mutable_grad().reset();
  w.mutable_grad().reset();
  auto ref = torch::linear(x, w, b);
  (ref * up).sum().backward();
  ASSERT_EQ(mine.sizes(), ref.sizes());
  EXPECT_LT((mine - ref).abs().max().item<double>(), 1e-5);
  EXPECT_LT((gx - x.grad()).abs().max().item<double>(), 1e-5);
  EXPECT_LT((gw - w.grad()).abs().max().item<double>(), 1e-5);
  EXPECT_GT(gw.abs().sum().item<double>(), 0.1);  // the gradient check has teeth
}

TEST(Affine, EqualsLinearInValueAndGradient) {
  torch::manual_seed(5);
  expect_same_as_linear(torch::randn({3, 1, 4}), true);                  // a decoding step: fused
  expect_same_as_linear(torch::randn({2, 3, 5, 4}), true);               // 4-D: fused
  expect_same_as_linear(torch::randn({3, 4}), true);                     // 2-D: torch::linear
  expect_same_as_linear(torch::randn({5, 3, 4}).transpose(0, 1), true);  // not contiguous
  expect_same_as_linear(torch::randn({3, 2, 4}), false);                 // no bias
}

}  // namespace
