// Multi-head scaled dot-product attention on heads read in place from the projection buffers, as
// one autograd node (Vaswani et al. 2017, "Attention Is All You Need", §3.2.1 eq. (1) and §3.2.2):
//   head_i = dropout(softmax(scale · Q_i K_iᵀ + mask)) V_i,  context = Concat(head_1..head_h).
//
// Why: Q, K and V come out of one stacked projection ([batch, len, 3·d_model] for
// self-attention, [batch, src_len, 2·d_model] for K|V). Split into heads as views and fed to
// separate score, softmax, dropout and context nodes, every head's gradient is formed in its own
// tensor, copied to merge the heads ([batch, heads, len, d_k] -> [batch, len, d_model]) and copied
// again to concatenate Q, K and V for the projection's backward. Here each (batch, head) pair's
// whole chain runs in one task of a parallel loop on [tgt_len, src_len] blocks that stay in
// cache, and dQ, dK, dV are written by the sgemm straight into their columns of one gradient
// tensor shaped like the projection buffer: no split, merge or concatenation copies.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace tinynmt {

/// Where the heads lie in a projection buffer [batch, len, width]: head i of the matrix is
/// columns offset + i·d_k ... offset + (i+1)·d_k - 1.
struct PackedHeads {
  int64_t heads = 1;
  int64_t d_k = 1;
  int64_t q_offset = 0;  ///< Q's columns in q_buf
  int64_t k_offset = 0;  ///< K's columns in kv_buf
  int64_t v_offset = 0;  ///< V's columns in kv_buf
};

/// Whether packed_attention can run on these buffers: float32 CPU tensors of 3 dims and a BLAS
/// sgemm in the process (kv_buf may be undefined: self-attention).
bool packed_attention_supported(const torch::Tensor& q_buf, const torch::Tensor& kv_buf);

/// Multi-head attention of the queries in q_buf over the keys and values in kv_buf.
///   q_buf [batch, tgt_len, wq]; kv_buf [batch, src_len, wkv], or undefined for self-attention
///   (keys and values are read from q_buf, src_len = tgt_len). Column layout: `layout`.
///   mask: bool, broadcastable to [batch, tgt_len, src_len] ([batch|1, tgt_len|1, src_len], or
///   [batch, src_len]); true = may attend; undefined = none. Blocked positions get weight exactly
///   0; a fully blocked row gets all zeros (as masked_softmax).
///   scale: multiplies the scores inside the sgemm (1/sqrt(d_k) in the paper).
///   dropout_p, seed: inverted dropout on the weights with the mask dropout_mask(weights, p, seed)
///   (so the same as DropoutImpl with that seed); p = 0: none.
/// Returns {context [batch, tgt_len, heads·d_k] (heads concatenated, contiguous), weights
/// [batch, heads, tgt_len, src_len] before dropout (not differentiable)}.
/// With autograd, q_buf and kv_buf each get one gradient tensor of their own shape (the columns
/// outside the heads' slots 0). Not twice differentiable.
/// Throws std::invalid_argument when packed_attention_supported is false, the heads do not fit
/// in the buffers, the batch sizes differ, or the mask does not broadcast.
std::pair<torch::Tensor, torch::Tensor> packed_attention(const torch::Tensor& q_buf,
                                                         const torch::Tensor& kv_buf,
                                                         const PackedHeads& layout,
                                                         const torch::Tensor& mask, double scale,
                                                         double dropout_p, uint64_t seed);

}  // namespace tinynmt
