// Inverted dropout with the counter-based CPU mask (models/dropout.h).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "models/dropout.h"

using namespace tinynmt;

TEST(Dropout, MaskHoldsZeroOrTheInverseKeepRateAtRateP) {
  for (double p : {0.1, 0.3, 0.5}) {
    auto like = torch::empty({1000, 1000});
    auto m = dropout_mask(like, p, 12345);
    const double scale = 1.0 / (1.0 - p);
    auto zero = m.eq(0);
    auto kept = (m - scale).abs().lt(1e-6);
    EXPECT_EQ((zero | kept).all().item<bool>(), true) << "p " << p;
    // 1e6 Bernoulli draws: the standard deviation of the rate is below 5e-4.
    EXPECT_NEAR(zero.to(torch::kDouble).mean().item<double>(), p, 3e-3) << "p " << p;
    EXPECT_NEAR(m.to(torch::kDouble).mean().item<double>(), 1.0, 5e-3) << "p " << p;
  }
}

TEST(Dropout, MaskIsDeterministicPerSeedAndIndependentOfThreads) {
  auto like = torch::empty({333, 777});  // several parallel blocks of 2^16, the last one partial
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  auto a = dropout_mask(like, 0.2, 7);
  torch::set_num_threads(2);
  auto b = dropout_mask(like, 0.2, 7);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(a, b));
  auto c = dropout_mask(like, 0.2, 8);
  EXPECT_FALSE(torch::equal(a, c));
  // Neighbouring elements are not copies of each other.
  auto flat = a.reshape({-1});
  auto same = flat.slice(0, 1).eq(flat.slice(0, 0, -1)).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(same, 0.8 * 0.8 + 0.2 * 0.2, 0.02);
}

TEST(Dropout, ModuleTrainsWithTheMaskAndIsTheIdentityInEval) {
  Dropout d(0.25);
  auto x = torch::randn({64, 50}).requires_grad_(true);
  torch::manual_seed(3);
  auto y = d(x);
  torch::manual_seed(3);
  auto y2 = d(x);
  EXPECT_TRUE(torch::equal(y, y2));  // torch::manual_seed governs the mask
  y.sum().backward();
  // The gradient is the mask itself: y = x * m.
  auto m = x.grad();
  EXPECT_TRUE(torch::allclose(y, x.detach() * m));
  EXPECT_NEAR(m.eq(0).to(torch::kDouble).mean().item<double>(), 0.25, 0.03);
  d->eval();
  EXPECT_TRUE(d(x).is_same(x));
  Dropout off(0.0);
  EXPECT_TRUE(off(x).is_same(x));
  EXPECT_THROW(Dropout(1.0), std::invalid_argument);
  EXPECT_THROW(dropout_mask(x, -0.1, 1), std::invalid_argument);
  EXPECT_THROW(dropout_mask(torch::zeros({3}, torch::kLong), 0.1, 1), std::invalid_argument);
}

// The fused relu + dropout node equals relu followed by the same mask, forward and backward,
// element for element; forward_relu is plain relu in eval mode.
TEST(Dropout, FusedReluDropoutEqualsReluThenMask) {
  torch::manual_seed(3);
  auto x = torch::randn({37, 129}).requires_grad_(true);  // odd sizes: partial hash words
  const uint64_t seed = 0x1234abcdULL;
  auto fused = tinynmt::relu_dropout(x, 0.3, seed);
  auto upstream = torch::randn({37, 129});
  fused.backward(upstream);
  auto grad_fused = x.grad().clone();
  x.mutable_grad() = torch::Tensor();

  auto mask = tinynmt::dropout_mask(x.detach(), 0.3, seed);
  auto reference = torch::relu(x) * mask;
  reference.backward(upstream);
  EXPECT_TRUE(torch::equal(fused.detach(), reference.detach()));
  EXPECT_TRUE(torch::equal(grad_fused, x.grad()));
  // Some elements are dropped and some negative inputs zeroed: both parts of the mask ran.
  EXPECT_GT((mask == 0).logical_and(x.detach() > 0).sum().item<int64_t>(), 0);
  EXPECT_GT((x.detach() < 0).logical_and(mask > 0).sum().item<int64_t>(), 0);

  tinynmt::Dropout d(0.3);
  d->eval();
  EXPECT_TRUE(torch::equal(d->forward_relu(x.detach()), torch::relu(x.detach())));
  EXPECT_THROW(tinynmt::relu_dropout(x.detach().to(torch::kDouble), 0.3, seed),
               std::invalid_argument);
  EXPECT_THROW(tinynmt::relu_dropout(x.detach(), 1.0, seed), std::invalid_argument);
}

// residual + dropout(x) as one node equals the two steps under the same seed, forward and
// backward; in eval mode it is the plain sum.
TEST(Dropout, ForwardAddEqualsResidualPlusDropout) {
  tinynmt::Dropout d(0.2);
  auto x = torch::randn({33, 70}).requires_grad_(true);
  auto r = torch::randn({33, 70}).requires_grad_(true);
  auto upstream = torch::randn({33, 70});
  torch::manual_seed(11);
  auto fused = d->forward_add(x, r);
  fused.backward(upstream);
  auto gx = x.grad().clone(), gr = r.grad().clone();
  x.mutable_grad() = torch::Tensor();
  r.mutable_grad() = torch::Tensor();
  torch::manual_seed(11);
  auto ref = r + d(x);
  ref.backward(upstream);
  EXPECT_TRUE(torch::equal(fused.detach(), ref.detach()));
  EXPECT_TRUE(torch::equal(gx, x.grad()));
  EXPECT_TRUE(torch::equal(gr, r.grad()));
  EXPECT_TRUE(torch::equal(gr, upstream));
  EXPECT_GT(gx.eq(0).sum().item<int64_t>(), 0);  // some elements were dropped
  d->eval();
  EXPECT_TRUE(torch::equal(d->forward_add(x, r), x + r));
}
