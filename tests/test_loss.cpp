// train/loss: the label-smoothed loss (hand computation, padding ignored, fused == unfused).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "train/loss.h"

using namespace tinynmt;

TEST(Loss, LabelSmoothedMatchesHandComputation) {
  // One position, vocab 3, logits (0, ln 2, 0): p = (1/4, 1/2, 1/4). Target 1, epsilon 0.3.
  auto logits = torch::tensor({0.0, std::log(2.0), 0.0}, torch::kFloat).reshape({1, 1, 3});
  auto target = torch::tensor({1}, torch::kLong).reshape({1, 1});
  double eps = 0.3;
  double nll = -std::log(0.5);
  double smooth = -(std::log(0.25) + std::log(0.5) + std::log(0.25));
  double expected = (1 - eps) * nll + eps / 3.0 * smooth;
  auto sums = label_smoothed_loss(logits, target, eps, /*pad_id=*/0);
  EXPECT_NEAR(sums.loss.item<double>(), expected, 1e-6);
  EXPECT_NEAR(sums.nll.item<double>(), nll, 1e-6);
}

TEST(Loss, PaddingIsIgnored) {
  torch::manual_seed(0);
  auto logits = torch::randn({2, 3, 7});
  auto target = torch::tensor({{4, 5, 0}, {6, 0, 0}}, torch::kLong);
  auto full = label_smoothed_loss(logits, target, 0.1, 0).loss.item<double>();
  // Changing the logits at padded positions must not change the loss.
  auto logits2 = logits.clone();
  logits2.index_put_({0, 2}, torch::randn({7}));
  logits2.index_put_({1, 1}, torch::randn({7}));
  EXPECT_NEAR(label_smoothed_loss(logits2, target, 0.1, 0).loss.item<double>(), full, 1e-6);
}

TEST(Loss, FusedEqualsUnfused) {
  torch::manual_seed(1);
  auto logits = torch::randn({4, 9, 50}) * 3;
  auto target = torch::randint(1, 50, {4, 9}, torch::kLong);
  target.index_put_({0, torch::indexing::Slice(6)}, 0);
  target.index_put_({3, torch::indexing::Slice(2)}, 0);
  for (double eps : {0.0, 0.1, 0.4}) {
    double fused = label_smoothed_loss(logits, target, eps, 0).loss.item<double>();
    double ref = label_smoothed_loss_reference(logits, target, eps, 0).item<double>();
    EXPECT_NEAR(fused, ref, 1e-6 * std::max(1.0, std::abs(ref))) << "eps " << eps;
  }
}

// A target whose probability underflows float32 (its logit 150 below the row's maximum): the
// loss takes the log-sum-exp from the row maximum instead of the target and stays exact.
TEST(Loss, FusedLossExactWhenTheTargetProbabilityUnderflows) {
  torch::manual_seed(3);
  auto logits = torch::randn({2, 3, 40});
  auto target = torch::randint(1, 40, {2, 3}, torch::kLong);
  logits.index_put_({0, 1, target[0][1].item<int64_t>()}, -150.0);
  ASSERT_EQ(torch::softmax(logits, -1)[0][1][target[0][1].item<int64_t>()].item<float>(), 0.0f);
  for (double eps : {0.0, 0.1}) {
    double fused = label_smoothed_loss(logits, target, eps, 0).loss.item<double>();
    double ref = label_smoothed_loss_reference(logits, target, eps, 0).item<double>();
    EXPECT_TRUE(std::isfinite(fused));
    EXPECT_GT(ref, 150.0);
    EXPECT_NEAR(fused, ref, 1e-5 * ref) << "eps " << eps;
    // The output-layer form with W = I: the scores are the features themselves.
    double fo =
        fused_output_label_smoothed_loss(logits, torch::eye(40), torch::Tensor(), target, eps, 0)
            .loss.item<double>();
    EXPECT_NEAR(fo, ref, 1e-5 * ref) << "eps " << eps;
  }
}

TEST(Loss, FusedGradientEqualsUnfused) {
  // The hand-written backward (softmax - q, masked) against autograd through the reference
  // form, with padding, several epsilons and logits large enough to stress the softmax.
  torch::manual_seed(2);
  auto base = torch::randn({3, 11, 300}) * 8;
  auto target = torch::randint(1, 300, {3, 11}, torch::kLong);
  target.index_put_({1, torch::indexing::Slice(7)}, 0);
  for (double eps : {0.0, 0.1, 0.3}) {
    auto a = base.clone().requires_grad_(true);
    auto b = base.clone().requires_grad_(true);
    auto sums = label_smoothed_loss(a, target, eps, 0);
    (sums.loss * 0.37).backward();
    (label_smoothed_loss_reference(b, target, eps, 0) * 0.37).backward();
    EXPECT_FALSE(sums.nll.requires_grad());
    const double max_diff = (a.grad() - b.grad()).abs().max().item<double>();
    EXPECT_LT(max_diff, 1e-6) << "eps " << eps;
    // Padded positions get no gradient at all.
    EXPECT_EQ(a.grad().index({1, torch::indexing::Slice(7)}).abs().sum().item<double>(), 0.0);
  }
  EXPECT_THROW(label_smoothed_loss(base, target, 1.0, 0), std::invalid_argument);
}

TEST(Loss, FusedOutputLayerEqualsLogitsThenLoss) {
  // fused_output_label_smoothed_loss(h, W, b) against label_smoothed_loss_reference(h·Wᵀ + b)
  // through autograd: loss, nll and the gradients of h, W and b, with padding, several epsilons,
  // block sizes that divide the rows, do not divide them, and exceed them, and without a bias.
  torch::manual_seed(4);
  const int64_t B = 3, T = 7, D = 5, V = 40;
  auto h0 = torch::randn({B, T, D}) * 2;
  auto w0 = torch::randn({V, D});
  auto b0 = torch::randn({V});
  auto target = torch::randint(1, V, {B, T}, torch::kLong);
  target.index_put_({0, torch::indexing::Slice(5)}, 0);
  target.index_put_({2, torch::indexing::Slice(1)}, 0);
  for (double eps : {0.0, 0.1}) {
    for (int64_t chunk : {1, 4, 5, 256}) {
      for (bool with_bias : {true, false}) {
        SCOPED_TRACE("eps " + std::to_string(eps) + " chunk " + std::to_string(chunk) +
                     (with_bias ? " bias" : " no bias"));
        auto h = h0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
        auto b = with_bias ? b0.clone().requires_grad_(true) : torch::Tensor();
        auto hr = h0.clone().requires_grad_(true), wr = w0.clone().requires_grad_(true);
        auto br = b0.clone().requires_grad_(true);
        auto sums = fused_output_label_smoothed_loss(h, w, b, target, eps, 0, chunk);
        (sums.loss * 0.37).backward();
        auto logits = with_bias ? torch::matmul(hr, wr.t()) + br : torch::matmul(hr, wr.t());
        auto ref = label_smoothed_loss_reference(logits, target, eps, 0);
        (ref * 0.37).backward();
        auto ref_nll = label_smoothed_loss(logits.detach(), target, 0.0, 0).nll;
        EXPECT_NEAR(sums.loss.item<double>(), ref.item<double>(), 1e-5 * ref.item<double>());
        EXPECT_NEAR(sums.nll.item<double>(), ref_nll.item<double>(), 1e-5 * ref_nll.item<double>());
        EXPECT_FALSE(sums.nll.requires_grad());
        EXPECT_TRUE(torch::allclose(h.grad(), hr.grad(), 1e-5, 1e-6));
        EXPECT_TRUE(torch::allclose(w.grad(), wr.grad(), 1e-5, 1e-6));
        if (with_bias) {
          EXPECT_TRUE(torch::allclose(b.grad(), br.grad(), 1e-5, 1e-6));
        }
        // Padded positions get no gradient at all.
        EXPECT_EQ(h.grad().index({2, torch::indexing::Slice(1)}).abs().sum().item<double>(), 0.0);
      }
    }
  }
  // Only the features need a gradient (a frozen output layer); no gradient at all (validation).
  auto h = h0.clone().requires_grad_(true);
  auto sums = fused_output_label_smoothed_loss(h, w0, b0, target, 0.1, 0);
  sums.loss.backward();
  EXPECT_TRUE(h.grad().defined());
  {
    torch::NoGradGuard no_grad;
    auto again = fused_output_label_smoothed_loss(h0, w0, b0, target, 0.1, 0);
    EXPECT_NEAR(again.loss.item<double>(), sums.loss.item<double>(),
                1e-6 * sums.loss.item<double>());
  }
  // All positions padded: zero loss, zero gradient.
  auto hp = h0.clone().requires_grad_(true);
  auto none =
      fused_output_label_smoothed_loss(hp, w0, b0, torch::zeros({B, T}, torch::kLong), 0.1, 0);
  none.loss.backward();
  EXPECT_EQ(none.loss.item<double>(), 0.0);
  EXPECT_EQ(hp.grad().abs().sum().item<double>(), 0.0);
  // Bad arguments.
  EXPECT_THROW(fused_output_label_smoothed_loss(h0, w0, b0, target, 1.0, 0), std::invalid_argument);
  EXPECT_THROW(fused_output_label_smoothed_loss(h0, w0, b0, target, 0.1, 0, 0),
               std::invalid_argument);
  EXPECT_THROW(fused_output_label_smoothed_loss(h0, torch::randn({V, D + 1}), b0, target, 0.1, 0),
               std::invalid_argument);
  EXPECT_THROW(fused_output_label_smoothed_loss(h0, w0, b0, target.narrow(1, 0, 3), 0.1, 0),
               std::invalid_argument);
}
