// Batched matrix product for attention on the CPU: one BLAS sgemm per matrix pair, called
// directly on strided views in a parallel loop over the batch.
//
// Why: without MKL, LibTorch's CPU bmm/matmul of more than 400 multiply-adds per pair loops over
// the batch in ATen, dispatching select/as_strided/resolve_conj/mm for every pair. Attention
// products are batch × heads (about 1,200 for a 4,096-token Multi30k batch) small products of
// ~13 × 64 × 13, so that per-pair dispatch costs more than the arithmetic (profile in README).
// Strided inputs (the [batch, len, heads, d_k] → [batch, heads, len, d_k] transposes of
// multi-head attention, K^T) are used in place through the BLAS leading dimension and
// transpose flags, with no copy.
#pragma once

#include <torch/torch.h>

namespace tinynmt {

/// a [..., n, k] × b [..., k, m] -> [..., n, m], the batch dims "..." equal in a and b (no
/// broadcasting), float32 on the CPU, with autograd (the backward uses the same kernel:
/// ∂a = g·bᵀ, ∂b = aᵀ·g). Each matrix may be row- or column-major with any leading dimension
/// and any batch strides. Anything else (other devices or dtypes, broadcast batch dims, no BLAS
/// sgemm found in the process) falls back to torch::matmul. Throws what torch::matmul throws on
/// shape mismatches.
/// rows_outside_heads (4-D [batch, heads, n, k] inputs): the result [batch, heads, n, m] is the
/// transpose(1, 2) view of a contiguous [batch, n, heads, m] tensor, so merging the heads back
/// (result.transpose(1, 2).reshape({batch, n, heads·m})) needs no copy, nor does its gradient.
/// alpha scales the product inside the sgemm (alpha·a·b, no separate pass; the backward scales
/// both gradients by it), as Vaswani et al.'s 1/sqrt(d_k) on the scores.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b,
                             bool rows_outside_heads = false, double alpha = 1.0);

/// Whether batched_matmul found the BLAS sgemm that LibTorch loaded (looked up once).
bool batched_matmul_uses_blas();

/// Row-major C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C through the BLAS sgemm that
/// LibTorch loaded (op = transpose when trans_* is true; lda, ldb, ldc are row strides in
/// elements). beta = 0 overwrites C (its old contents may be NaN). Serial: meant for the bodies of
/// parallel loops over many small products (attention heads). Requires batched_matmul_uses_blas();
/// throws std::logic_error otherwise.
void sgemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc);

}  // namespace tinynmt
