#include "models/batched_matmul.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <stdexcept>
#include <vector>

namespace tinynmt {
namespace {

// Fortran BLAS sgemm (column-major), as exported by the BLAS LibTorch links (OpenBLAS on Debian).
using SgemmFn = void (*)(const char* transa, const char* transb, const int* m, const int* n,
                         const int* k, const float* alpha, const float* a, const int* lda,
                         const float* b, const int* ldb, const float* beta, float* c,
                         const int* ldc);

SgemmFn find_sgemm() {
  static const SgemmFn fn = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return fn;
}

/// A strided matrix view: row-major (col stride 1) or column-major (row stride 1).
struct MatrixLayout {
  bool ok = false;
  bool row_major = true;
  int64_t ld = 0;
};

MatrixLayout layout_of(const torch::Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t rs = t.stride(-2), cs = t.stride(-1);
  MatrixLayout l;
  if (cs == 1 && (rs >= std::max<int64_t>(cols, 1) || rows == 1)) {
    l = {true, true, std::max<int64_t>({rs, cols, 1})};
  } else if (rs == 1 && (cs >= std::max<int64_t>(rows, 1) || cols == 1)) {
    l = {true, false, std::max<int64_t>({cs, rows, 1})};
  }
  return l;
}

/// Element offsets of every matrix of a tensor's batch dims (all dims but the last two).
std::vector<int64_t> batch_offsets(const torch::Tensor& t) {
  const int64_t nb = t.dim() - 2;
  int64_t count = 1;
  for (int64_t d = 0; d < nb; ++d) count *= t.size(d);
  std::vector<int64_t> off(static_cast<size_t>(count), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = i, o = 0;
    for (int64_t d = nb - 1; d >= 0; --d) {
      o += (rem % t.size(d)) * t.stride(d);
      rem /= t.size(d);
    }
    off[static_cast<size_t>(i)] = o;
  }
  return off;
}

bool blas_eligible(const torch::Tensor& a, const torch::Tensor& b) {
  if (find_sgemm() == nullptr) return false;
  if (!a.device().is_cpu() || !b.device().is_cpu()) return false;
  if (a.scalar_type() != torch::kFloat || b.scalar_type() != torch::kFloat) return false;
  if (a.dim() < 3 || a.dim() != b.dim()) return false;
  for (int64_t d = 0; d < a.dim() - 2; ++d)
    if (a.size(d) != b.size(d)) return false;
  return a.size(-1) == b.size(-2);
}

/// c = a·b into a new tensor, a and b with usable layouts (see layout_of). c is contiguous, or
/// with rows_outside_heads (4-D only) the transpose(1, 2) view of a contiguous [b, n, h, m].
torch::Tensor blas_bmm(const torch::Tensor& a_in, const torch::Tensor& b_in,
                       bool rows_outside_heads = false, float alpha = 1.0f) {
  // A layout BLAS cannot read (e.g. a stride-2 last dim) is copied to a contiguous one first.
  torch::Tensor a = a_in, b = b_in;
  MatrixLayout la = layout_of(a), lb = layout_of(b);
  if (!la.ok) la = layout_of(a = a.contiguous());
  if (!lb.ok) lb = layout_of(b = b.contiguous());
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  auto sizes = a.sizes().vec();
  sizes.back() = m;
  torch::Tensor c;
  if (rows_outside_heads && a.dim() == 4) {
    c = torch::empty({sizes[0], sizes[2], sizes[1], sizes[3]}, a.options()).transpose(1, 2);
  } else {
    c = torch::empty(sizes, a.options());
  }
  if (c.numel() == 0) return c;
  if (k == 0) return c.zero_();
  const auto off_a = batch_offsets(a), off_b = batch_offsets(b), off_c = batch_offsets(c);
  const int64_t batch = static_cast<int64_t>(off_a.size());
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  const int64_t ldc = std::max<int64_t>(c.stride(-2), std::max<int64_t>(m, 1));
  const int64_t per_matrix = n * m * k;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(per_matrix, 1));
  at::parallel_for(0, batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto j = static_cast<size_t>(i);
      // A column-major matrix is the transpose of a row-major one with the same ld.
      sgemm_row_major(!la.row_major, !lb.row_major, n, m, k, alpha, pa + off_a[j], la.ld,
                      pb + off_b[j], lb.ld, 0.0f, pc + off_c[j], ldc);
    }
  });
  return c;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct BatchedMatmul : public torch::autograd::Function<BatchedMatmul> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b,
                               bool rows_outside_heads, double alpha) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["alpha"] = alpha;
    return blas_bmm(a, b, rows_outside_heads, static_cast<float>(alpha));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const auto& g = grads[0];  // [..., n, m]
    const auto alpha = static_cast<float>(ctx->saved_data["alpha"].toDouble());
    torch::Tensor ga, gb;
    if (ctx->needs_input_grad(0))
      ga = blas_bmm(g, b.transpose(-1, -2), false, alpha);  // [.., n, k]
    if (ctx->needs_input_grad(1))
      gb = blas_bmm(a.transpose(-1, -2), g, false, alpha);  // [.., k, m]
    return {ga, gb, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool batched_matmul_uses_blas() { return find_sgemm() != nullptr; }

void sgemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc) {
  const SgemmFn sgemm = find_sgemm();
  if (sgemm == nullptr) throw std::logic_error("sgemm_row_major: no BLAS sgemm in the process");
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, and a row-major matrix read
  // column-major is its transpose: pass B first, with the flags unchanged.
  const char tb = trans_b ? 'T' : 'N', ta = trans_a ? 'T' : 'N';
  const int M = static_cast<int>(n), N = static_cast<int>(m), K = static_cast<int>(k);
  const int LDB = static_cast<int>(ldb), LDA = static_cast<int>(lda), LDC = static_cast<int>(ldc);
  sgemm(&tb, &ta, &M, &N, &K, &alpha, b, &LDB, a, &LDA, &beta, c, &LDC);
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b,
                             bool rows_outside_heads, double alpha) {
  if (!blas_eligible(a, b)) return alpha == 1.0 ? torch::matmul(a, b) : torch::matmul(a, b) * alpha;
  if (torch::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad()))
    return BatchedMatmul::apply(a, b, rows_outside_heads, alpha);
  return blas_bmm(a, b, rows_outside_heads, static_cast<float>(alpha));
}

}  // namespace tinynmt
