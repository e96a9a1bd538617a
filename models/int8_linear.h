// Linear layers with int8 weights for inference: dynamic quantisation (Jacob et al. 2018,
// "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
// Inference", §2.1 eq. (1)), as torch.ao.quantization.quantize_dynamic does it. The weights are
// quantised once, per output channel and symmetric (scale_i = max_j |W_ij| / 127, zero point 0);
// each call quantises its input to 8 bits with a range taken from that input, multiplies in
// integers and returns float32 with the float32 bias added. The kernels are LibTorch's own
// (`quantized::linear_prepack` and `quantized::linear_dynamic`, run by the quantized engine
// LibTorch was built with: oneDNN or FBGEMM on x86), called through the operator dispatcher.
#pragma once

#include <ATen/core/ivalue.h>
#include <torch/torch.h>

#include <string>

#include "models/affine.h"

namespace tinynmt {

/// True if this LibTorch can run Int8Linear on the CPU (a quantized engine other than none is
/// built in). *why, if given, is set to the reason when it cannot.
bool int8_linear_supported(std::string* why = nullptr);

/// One linear layer y = x·Wᵀ + b with W held as int8. Inference only: the result carries no
/// gradient. CPU, float32 only.
class Int8Linear {
 public:
  Int8Linear() = default;
  /// weight [out, in] float32 on the CPU; bias [out] or undefined. Copies and quantises the
  /// weights (the float32 tensors are not kept). Throws std::invalid_argument for another shape,
  /// dtype or device, std::runtime_error if LibTorch has no quantized engine.
  Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias);
  /// Stacks several layers of the same input size into one: [W_1; W_2; ...], [b_1; b_2; ...]
  /// (biases undefined count as zeros). The result's output is the outputs side by side.
  static Int8Linear stacked(const std::vector<torch::Tensor>& weights,
                            const std::vector<torch::Tensor>& biases);

  bool defined() const { return out_features_ > 0; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  /// x [..., in] float32 CPU -> [..., out] float32. Throws std::invalid_argument for a last
  /// dimension other than in_features(). Under the oneDNN engine the input goes in as
  /// int8_padded_input() builds it (see there), and the extra rows' outputs are dropped.
  torch::Tensor operator()(const torch::Tensor& x) const;
  /// The quantised weights as float32 ([out, in]): what the products use, for tests.
  torch::Tensor dequantized_weight() const;

 private:
  c10::IValue packed_;  // LinearPackedParamsBase from quantized::linear_prepack
  torch::Tensor qweight_;
  int64_t in_features_ = 0, out_features_ = 0;
};

/// LibTorch 1.13's oneDNN engine (the Debian line's only x86 one) compiles a kernel for each
/// (rows, input scale) pair and keeps it in oneDNN's primitive cache (1,024 entries). Dynamic
/// quantisation takes the scale from each input's range, so nearly every call in a beam search
/// (new rows, new range) compiled a kernel: 1.2 ms a call, 0.6 ms with the padding below
/// (docs/performance.md). Before the call the input x [m, in] is therefore padded to
/// int8_row_bucket(m) rows: x, then one row holding +r and -r in its first two entries
/// (r = int8_input_range(max |x|)), then zeros. Its range is then exactly [-r, r], so scale and
/// zero point (2r/255, 128) come from a short list, as do the row counts, and the cache hits.
/// The price: the range is up to 19% wider than the input's own (at most a quarter bit), and
/// at most 1/3 more rows. x must have in_features >= 2.
torch::Tensor int8_padded_input(const torch::Tensor& x);

/// The smallest value of the grid 2^(k/4) (k an integer) that is >= amax; amax > 0 (values
/// below 1e-6 count as 1e-6).
float int8_input_range(float amax);

/// The smallest of 8, 12, 16, 24, 32, 48, ... (2^k and 3·2^(k-1)) that is >= rows + 1 (the
/// range row's place).
int64_t int8_row_bucket(int64_t rows);

/// Products with fewer weights than this stay float32 under quantize_int8(). Measured on the
/// 2-core machine (oneDNN, padded input, rows 20-319 varying, idle; docs/performance.md): the
/// d 256 decoder's products (768x256, 1024x256, 256x1024) take 0.46-0.65 ms a call in int8
/// against 0.27-0.41 ms in float32, while the 8000x256 output layer takes 1.36 ms against 2.54.
/// So only products of half a million weights and more turn int8: the output layer of an 8k
/// vocabulary from d 128 on (1,024,000), and a d 512 decoder's feed-forward and stacked Q/K/V.
constexpr int64_t kInt8MinWeights = int64_t{1} << 19;

/// Which products quantize_int8() turns to int8: those with at least min_weights weights.
/// Counts what it did, for the one-line report.
struct Int8Plan {
  int64_t min_weights = kInt8MinWeights;
  int64_t quantized = 0, kept = 0;  ///< products turned to int8 / left float32
  /// Int8Linear(weight, bias) if weight has >= min_weights entries, else undefined.
  Int8Linear make(const torch::Tensor& weight, const torch::Tensor& bias);
  /// Int8Linear::stacked() under the same rule (the stacked size counts).
  Int8Linear make_stacked(const std::vector<torch::Tensor>& weights,
                          const std::vector<torch::Tensor>& biases);
};

/// The int8 layer when defined, else the float32 one: layer(x).
inline torch::Tensor linear_or_int8(const torch::nn::Linear& layer, const Int8Linear& int8,
                                    const torch::Tensor& x) {
  return int8.defined() ? int8(x) : affine(x, layer->weight, layer->bias);
}

}  // namespace tinynmt
