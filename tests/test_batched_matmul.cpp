// batched_matmul (models/batched_matmul.h): values and gradients equal torch::matmul's for the
// strided layouts attention uses, and the fallbacks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <string>

#include "models/batched_matmul.h"

using namespace tinynmt;

namespace {

double max_diff(const torch::Tensor& x, const torch::Tensor& y) {
  return (x - y).abs().max().item<double>();
}

}  // namespace

TEST(BatchedMatmul, FindsTheBlasThatLibTorchLoaded) {
  // On Debian's LibTorch sgemm_ comes from OpenBLAS; without it every call falls back (and the
  // comparisons below would compare torch::matmul with itself).
  EXPECT_TRUE(batched_matmul_uses_blas());
}

TEST(BatchedMatmul, EqualsMatmulOnStridedAttentionLayouts) {
  torch::manual_seed(0);
  const int64_t b = 5, t = 7, s = 9, h = 3, dk = 8;
  // q, k, v as multi-head attention lays them out: [b, len, h, dk] viewed as [b, h, len, dk].
  auto q = torch::randn({b, t, h * dk}).view({b, t, h, dk}).transpose(1, 2);
  auto k = torch::randn({b, s, h * dk}).view({b, s, h, dk}).transpose(1, 2);
  auto v = torch::randn({b, s, h * dk}).view({b, s, h, dk}).transpose(1, 2);
  auto kt = k.transpose(2, 3);  // column-major matrices
  auto scores = batched_matmul(q, kt);
  EXPECT_EQ(scores.sizes(), (std::vector<int64_t>{b, h, t, s}));
  EXPECT_LT(max_diff(scores, torch::matmul(q, kt)), 1e-5);
  auto w = torch::softmax(scores, -1);
  EXPECT_LT(max_diff(batched_matmul(w, v), torch::matmul(w, v)), 1e-5);
  // 3-D (the RNN attentions), a single query row, and an empty inner dimension.
  auto a3 = torch::randn({4, 1, 6}), b3 = torch::randn({4, 6, 11});
  EXPECT_LT(max_diff(batched_matmul(a3, b3), torch::bmm(a3, b3)), 1e-5);
  auto z = batched_matmul(torch::randn({2, 3, 0}), torch::randn({2, 0, 4}));
  EXPECT_EQ(z.abs().sum().item<double>(), 0.0);
  // Non-contiguous beyond a leading dimension (every other column) is copied, not misread.
  auto wide = torch::randn({3, 4, 10});
  auto every_other = wide.slice(2, 0, 10, 2);  // stride 2 along the last dim
  auto rhs = torch::randn({3, 5, 2});
  EXPECT_LT(max_diff(batched_matmul(every_other, rhs), torch::matmul(every_other, rhs)), 1e-5);
}

TEST(BatchedMatmul, GradientsEqualMatmuls) {
  torch::manual_seed(1);
  auto base_a = torch::randn({2, 3, 6, 5});
  auto base_b = torch::randn({2, 3, 4, 5});
  auto g = torch::randn({2, 3, 6, 4});
  auto a1 = base_a.clone().requires_grad_(true), b1 = base_b.clone().requires_grad_(true);
  auto a2 = base_a.clone().requires_grad_(true), b2 = base_b.clone().requires_grad_(true);
  (batched_matmul(a1, b1.transpose(2, 3)) * g).sum().backward();
  (torch::matmul(a2, b2.transpose(2, 3)) * g).sum().backward();
  EXPECT_LT(max_diff(a1.grad(), a2.grad()), 1e-5);
  EXPECT_LT(max_diff(b1.grad(), b2.grad()), 1e-5);
}

// alpha scales inside the product: values and both gradients equal alpha · (a·b), on the BLAS
// path and on the fallback.
TEST(BatchedMatmul, AlphaScalesTheProductAndItsGradients) {
  torch::manual_seed(2);
  const double alpha = 0.125;
  auto base_a = torch::randn({2, 3, 6, 5});
  auto base_b = torch::randn({2, 3, 4, 5});
  auto g = torch::randn({2, 3, 6, 4});
  auto a1 = base_a.clone().requires_grad_(true), b1 = base_b.clone().requires_grad_(true);
  auto a2 = base_a.clone().requires_grad_(true), b2 = base_b.clone().requires_grad_(true);
  auto mine = batched_matmul(a1, b1.transpose(2, 3), false, alpha);
  auto ref = torch::matmul(a2, b2.transpose(2, 3)) * alpha;
  EXPECT_LT(max_diff(mine, ref), 1e-6);
  EXPECT_GT(max_diff(mine, ref / alpha), 0.1);  // the scale is really applied
  (mine * g).sum().backward();
  (ref * g).sum().backward();
  EXPECT_LT(max_diff(a1.grad(), a2.grad()), 1e-6);
  EXPECT_LT(max_diff(b1.grad(), b2.grad()), 1e-6);
  torch::NoGradGuard no_grad;
  auto ad = base_a.to(torch::kDouble), bd = base_b.to(torch::kDouble).transpose(2, 3);
  EXPECT_LT(max_diff(batched_matmul(ad, bd, false, alpha), torch::matmul(ad, bd) * alpha), 1e-12);
}

TEST(BatchedMatmul, FallsBackWhereItCannotCallBlas) {
  auto a = torch::randn({2, 3, 4}, torch::kDouble), b = torch::randn({2, 4, 5}, torch::kDouble);
  EXPECT_LT(max_diff(batched_matmul(a, b), torch::matmul(a, b)), 1e-12);
  auto broadcast = torch::randn({1, 4, 5});  // broadcast batch dim: torch::matmul semantics
  auto af = torch::randn({2, 3, 4});
  EXPECT_LT(max_diff(batched_matmul(af, broadcast), torch::matmul(af, broadcast)), 1e-5);
  EXPECT_THROW(batched_matmul(torch::randn({2, 3, 4}), torch::randn({2, 5, 6})), c10::Error);
}

// sgemm_row_major against torch::mm: every transpose combination, attention-head and other
// shapes, operands inside wider buffers (ld > cols), alpha, and C's columns beyond n left as they
// were.
TEST(SgemmRowMajor, EqualsTorchMmOnSmallAndLargeShapes) {
  torch::manual_seed(11);
  struct Shape {
    int64_t m, n, k;
  };
  for (const Shape& s : {Shape{1, 1, 1}, Shape{5, 17, 3}, Shape{16, 16, 64}, Shape{30, 64, 30},
                         Shape{4, 32, 9}, Shape{7, 33, 129}, Shape{130, 20, 10}, Shape{3, 4, 0}}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        // op(A) [m, k] stored as A [m, k] or [k, m] inside a buffer 3 columns wider.
        auto abuf = torch::randn({ta ? s.k : s.m, (ta ? s.m : s.k) + 3});
        auto bbuf = torch::randn({tb ? s.n : s.k, (tb ? s.k : s.n) + 2});
        auto a = abuf.narrow(1, 1, ta ? s.m : s.k);
        auto b = bbuf.narrow(1, 2, tb ? s.k : s.n);
        auto c = torch::full({s.m, s.n + 5}, std::numeric_limits<float>::quiet_NaN());
        sgemm_row_major(ta, tb, s.m, s.n, s.k, 0.5f, a.data_ptr<float>(), abuf.size(1),
                        b.data_ptr<float>(), bbuf.size(1), 0.0f, c.data_ptr<float>(), c.size(1));
        auto ref = 0.5 * torch::mm(ta ? a.t() : a, tb ? b.t() : b);
        const std::string what = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                 std::to_string(s.k) + (ta ? " ta" : "") + (tb ? " tb" : "");
        EXPECT_LT(max_diff(c.narrow(1, 0, s.n), ref), 1e-5) << what;
        EXPECT_TRUE(c.narrow(1, s.n, 5).isnan().all().item<bool>()) << what;
      }
    }
  }
}
