// Inverted dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks
// from Overfitting", JMLR 15, §2 and §10: units are kept with probability 1 - p and, "inverted",
// scaled by 1 / (1 - p) at training time so inference needs no rescaling).
//
// On the CPU the mask comes from a counter-based generator: element i is dropped when
// fmix32(fmix32(i·φ ⊕ k1) ⊕ k2) < round(p · 2^32), with fmix32 the MurmurHash3 finaliser
// (Appleby 2011) and (k1, k2) mixed from a 64-bit seed. Filled in parallel, vectorised (AVX2 when
// the CPU has it), the same for any thread count. LibTorch's own CPU dropout draws every element
// from one mt19937 under a lock (bernoulli_ without MKL), which on this machine costs more than
// the Transformer's attention. One 64-bit draw from LibTorch's default CPU generator seeds each
// mask, so torch::manual_seed and the saved generator state of a checkpoint keep runs
// reproducible. The float32 module saves no mask for the backward: it draws it again from the
// seed. On CUDA the module calls torch::dropout (a fused kernel there).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace tinynmt {

/// The mask of inverted dropout: a float tensor shaped like `like` (same dtype and device, CPU
/// only), each element 1 / (1 - p) with probability 1 - round(p · 2^32) / 2^32 and 0 otherwise,
/// from the counter-based generator seeded with `seed`. Deterministic for a given seed and shape
/// whatever the thread count. Throws std::invalid_argument if p is outside [0, 1) or `like` is
/// not a floating-point CPU tensor.
torch::Tensor dropout_mask(const torch::Tensor& like, double p, uint64_t seed);

/// relu(x) · dropout_mask(x, p, seed) as one autograd node (x float32 on the CPU, any shape):
/// one pass writes the output, which is also all the backward needs (grad · [output > 0] / (1 - p);
/// the unfused form runs relu, mask, multiply forward, keeps the mask, and two passes backward).
/// Equal to the unfused form element for element. Throws std::invalid_argument if p is outside
/// [0, 1) or x is not a float32 CPU tensor.
torch::Tensor relu_dropout(const torch::Tensor& x, double p, uint64_t seed);

/// out[j] = x[j] · mask[begin + j] for j in [0, n), mask = dropout_mask(t, p, seed) of a tensor t
/// of at least begin + n elements (its contiguous order): the same mask, applied a slice at a
/// time, e.g. one attention head's [tgt_len, src_len] block inside a parallel loop. Serial;
/// out may be x. Throws std::invalid_argument if p is outside [0, 1) or begin or n is negative.
void apply_dropout_mask(const float* x, float* out, int64_t begin, int64_t n, double p,
                        uint64_t seed);

/// Draws one 64-bit seed from LibTorch's default CPU generator (under its lock).
uint64_t draw_dropout_seed();

/// x -> x · dropout_mask(x, p, draw_dropout_seed()) in training mode with p > 0 on the CPU (one
/// pass each way for float32, no mask kept);
/// torch::dropout on other devices; the identity in eval mode or with p = 0. Any shape.
/// Throws std::invalid_argument at construction if p is outside [0, 1).
class DropoutImpl : public torch::nn::Module {
 public:
  explicit DropoutImpl(double p = 0.0);
  torch::Tensor forward(const torch::Tensor& x);
  /// residual + forward(x) (same shapes), as one node on float32 CPU tensors in training mode:
  /// one pass forward, no mask kept. Draws one seed, as forward does.
  torch::Tensor forward_add(const torch::Tensor& x, const torch::Tensor& residual);
  /// forward(relu(x)), fused (relu_dropout) in training mode on float32 CPU tensors; relu(x) in
  /// eval mode or with p = 0. Draws one seed, as forward does.
  torch::Tensor forward_relu(const torch::Tensor& x);
  double p() const { return p_; }

 private:
  double p_;
};

TORCH_MODULE(Dropout);

}  // namespace tinynmt
