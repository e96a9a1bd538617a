#include "models/gru_cell.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace tinynmt {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows of a [batch, hidden] plane per parallel task: about 16k elements each.
int64_t rows_per_task(int64_t hidden) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(hidden, 1));
}

struct FusedGruCell : public torch::autograd::Function<FusedGruCell> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& gx_in,
                               const torch::Tensor& gh_in, const torch::Tensor& h_in) {
    auto gx = gx_in.contiguous(), gh = gh_in.contiguous(), h = h_in.contiguous();
    const int64_t b = h.size(0), H = h.size(1);
    auto out = torch::empty_like(h);
    // Saved for backward: r, z, n and h_n as one [4, batch, hidden] buffer. The arithmetic runs
    // in plain loops (vectorised by the compiler); σ and tanh run as LibTorch's in-place
    // vectorised kernels on whole planes, since scalar std::exp/std::tanh would cost more than
    // the ops saved.
    auto saved = torch::empty({4, b, H}, h.options());
    const int64_t plane = b * H;
    const int64_t grain = rows_per_task(H);
    AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "gru_cell_forward", [&] {
      const scalar_t* px = gx.data_ptr<scalar_t>();
      const scalar_t* pg = gh.data_ptr<scalar_t>();
      const scalar_t* ph = h.data_ptr<scalar_t>();
      scalar_t* po = out.data_ptr<scalar_t>();
      scalar_t* ps = saved.data_ptr<scalar_t>();
      // 1. pre-activations of r and z, and h_n.
      at::parallel_for(0, b, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          const scalar_t* x = px + i * 3 * H;
          const scalar_t* g = pg + i * 3 * H;
          scalar_t* r = ps + i * H;
          scalar_t* z = ps + plane + i * H;
          scalar_t* hn = ps + 3 * plane + i * H;
          for (int64_t k = 0; k < H; ++k) {
            r[k] = x[k] + g[k];
            z[k] = x[H + k] + g[H + k];
            hn[k] = g[2 * H + k];
          }
        }
      });
      saved.narrow(0, 0, 2).sigmoid_();  // r, z
      // 2. pre-activation of n.
      at::parallel_for(0, b, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          const scalar_t* x = px + i * 3 * H + 2 * H;
          const scalar_t* r = ps + i * H;
          const scalar_t* hn = ps + 3 * plane + i * H;
          scalar_t* n = ps + 2 * plane + i * H;
          for (int64_t k = 0; k < H; ++k) n[k] = x[k] + r[k] * hn[k];
        }
      });
      saved.select(0, 2).tanh_();  // n
      // 3. h' = n + z (h - n).
      at::parallel_for(0, plane, 16384, [&](int64_t lo, int64_t hi) {
        const scalar_t* z = ps + plane;
        const scalar_t* n = ps + 2 * plane;
        for (int64_t e = lo; e < hi; ++e) po[e] = n[e] + z[e] * (ph[e] - n[e]);
      });
    });
    ctx->save_for_backward({saved, h});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto vars = ctx->get_saved_variables();
    const auto& saved = vars[0];
    const auto& h = vars[1];
    auto g = grad_outputs[0].contiguous();
    const int64_t b = h.size(0), H = h.size(1);
    auto dgx = torch::empty({b, 3 * H}, h.options());
    auto dgh = torch::empty({b, 3 * H}, h.options());
    auto dh = torch::empty_like(h);
    AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "gru_cell_backward", [&] {
      const scalar_t* ps = saved.data_ptr<scalar_t>();
      const scalar_t* ph = h.data_ptr<scalar_t>();
      const scalar_t* pg = g.data_ptr<scalar_t>();
      scalar_t* px = dgx.data_ptr<scalar_t>();
      scalar_t* pq = dgh.data_ptr<scalar_t>();
      scalar_t* pd = dh.data_ptr<scalar_t>();
      const int64_t plane = b * H;
      at::parallel_for(0, b, rows_per_task(H), [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          for (int64_t k = 0; k < H; ++k) {
            const int64_t e = i * H + k;
            const scalar_t r = ps[e], z = ps[plane + e], n = ps[2 * plane + e],
                           hn = ps[3 * plane + e];
            const scalar_t gv = pg[e];
            const scalar_t dn = gv * (scalar_t(1) - z) * (scalar_t(1) - n * n);
            const scalar_t dz = gv * (ph[e] - n) * z * (scalar_t(1) - z);
            const scalar_t dr = dn * hn * r * (scalar_t(1) - r);
            scalar_t* x = px + i * 3 * H;
            scalar_t* q = pq + i * 3 * H;
            x[k] = dr;
            q[k] = dr;
            x[H + k] = dz;
            q[H + k] = dz;
            x[2 * H + k] = dn;
            q[2 * H + k] = dn * r;
            pd[e] = gv * z;
          }
        }
      });
    });
    return {dgx, dgh, dh};
  }
};

void check_shapes(const torch::Tensor& gx, const torch::Tensor& gh, const torch::Tensor& h) {
  if (h.dim() != 2 || gx.dim() != 2 || gh.dim() != 2 || gx.size(0) != h.size(0) ||
      gh.size(0) != h.size(0) || gx.size(1) != 3 * h.size(1) || gh.size(1) != 3 * h.size(1)) {
    throw std::invalid_argument(
        "gru_cell: expected gx, gh [batch, 3*hidden] and h [batch, hidden], got " +
        std::to_string(gx.dim()) + "-d, " + std::to_string(gh.dim()) + "-d and " +
        std::to_string(h.dim()) + "-d tensors of mismatched sizes");
  }
}

}  // namespace

torch::Tensor gru_cell_reference(const torch::Tensor& gx, const torch::Tensor& gh,
                                 const torch::Tensor& h) {
  check_shapes(gx, gh, h);
  auto x = gx.chunk(3, 1), g = gh.chunk(3, 1);  // r, z, n: [batch, hidden] each
  auto r = torch::sigmoid(x[0] + g[0]);
  auto z = torch::sigmoid(x[1] + g[1]);
  auto n = torch::tanh(x[2] + r * g[2]);
  return n + z * (h - n);  // (1 - z) * n + z * h
}

torch::Tensor gru_cell(const torch::Tensor& gx, const torch::Tensor& gh, const torch::Tensor& h) {
  check_shapes(gx, gh, h);
  const bool fused = h.device().is_cpu() && gx.device().is_cpu() && gh.device().is_cpu() &&
                     (h.scalar_type() == torch::kFloat || h.scalar_type() == torch::kDouble) &&
                     gx.scalar_type() == h.scalar_type() && gh.scalar_type() == h.scalar_type();
  if (!fused) return gru_cell_reference(gx, gh, h);
  return FusedGruCell::apply(gx, gh, h);
}

}  // namespace tinynmt
