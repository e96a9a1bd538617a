#include "models/int8_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace tinynmt {
namespace {

c10::OperatorHandle op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

/// Activations on 7 bits, as torch.ao.nn.quantized.dynamic.Linear runs FBGEMM (whose 8-bit
/// products may saturate 16-bit sums without VNNI); oneDNN takes the full range.
bool reduce_range() { return at::globalContext().qEngine() != at::QEngine::ONEDNN; }

}  // namespace

bool int8_linear_supported(std::string* why) {
  for (const auto engine : at::globalContext().supportedQEngines())
    if (engine != at::QEngine::NoQEngine) return true;
  if (why) *why = "this LibTorch was built without a quantized engine (FBGEMM, oneDNN, QNNPACK)";
  return false;
}

Int8Linear::Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias) {
  if (weight.dim() != 2 || weight.scalar_type() != torch::kFloat || !weight.device().is_cpu())
    throw std::invalid_argument("int8 linear: the weight must be a 2-D float32 CPU tensor");
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    throw std::invalid_argument("int8 linear: the bias must be [out_features]");
  std::string why;
  if (!int8_linear_supported(&why)) throw std::runtime_error("int8 linear: " + why);
  torch::NoGradGuard no_grad;
  auto w = weight.detach().contiguous();
  // Per output channel, symmetric: the largest |w| of a row maps to 127.
  auto scales = (w.abs().amax(1) / 127.0).clamp_min(1e-12).to(torch::kDouble);  // [out]
  auto zero_points = torch::zeros({w.size(0)}, torch::kLong);
  qweight_ = at::quantize_per_channel(w, scales, zero_points, 0, torch::kQInt8);
  torch::jit::Stack stack{
      qweight_, bias.defined() ? c10::optional<torch::Tensor>(bias.detach().contiguous().clone())
                               : c10::optional<torch::Tensor>()};
  op("quantized::linear_prepack").callBoxed(&stack);
  packed_ = std::move(stack.at(0));
  in_features_ = w.size(1);
  out_features_ = w.size(0);
}

Int8Linear Int8Linear::stacked(const std::vector<torch::Tensor>& weights,
                               const std::vector<torch::Tensor>& biases) {
  std::vector<torch::Tensor> b;
  for (size_t i = 0; i < weights.size(); ++i) {
    const bool has = i < biases.size() && biases[i].defined();
    b.push_back(has ? biases[i].detach() : torch::zeros({weights[i].size(0)}));
  }
  std::vector<torch::Tensor> w;
  for (const auto& t : weights) w.push_back(t.detach());
  return Int8Linear(torch::cat(w, 0), torch::cat(b, 0));
}

torch::Tensor Int8Linear::operator()(const torch::Tensor& x) const {
  if (x.size(-1) != in_features_)
    throw std::invalid_argument("int8 linear: input size " + std::to_string(x.size(-1)) +
                                " != in_features " + std::to_string(in_features_));
  auto sizes = x.sizes().vec();
  auto rows = x.reshape({-1, in_features_});
  const int64_t m = rows.size(0);
  const bool pad = at::globalContext().qEngine() == at::QEngine::ONEDNN && in_features_ >= 2;
  torch::jit::Stack stack{pad ? int8_padded_input(rows) : rows.contiguous(), packed_,
                          reduce_range()};
  op("quantized::linear_dynamic").callBoxed(&stack);
  sizes.back() = out_features_;
  auto y = stack.at(0).toTensor();
  if (pad) y = y.narrow(0, 0, m).contiguous();
  return y.view(sizes);  // [..., out]
}

float int8_input_range(float amax) {
  amax = std::max(amax, 1e-6f);
  const float r = std::exp2(std::ceil(4.0f * std::log2(amax)) / 4.0f);
  return r >= amax ? r : r * std::exp2(0.25f);  // guards a rounding error of log2
}

int64_t int8_row_bucket(int64_t rows) {
  for (int64_t p = 8;; p *= 2) {
    if (p >= rows + 1) return p;
    if (p / 2 * 3 >= rows + 1) return p / 2 * 3;
  }
}

torch::Tensor int8_padded_input(const torch::Tensor& x) {
  const int64_t m = x.size(0);
  const float r = int8_input_range(m > 0 ? x.abs().max().item<float>() : 0.0f);
  auto padded = torch::zeros({int8_row_bucket(m), x.size(1)}, x.options());
  padded.narrow(0, 0, m).copy_(x);
  auto range_row = padded[m];
  range_row[0] = r;
  range_row[1] = -r;
  return padded;
}

Int8Linear Int8Plan::make(const torch::Tensor& weight, const torch::Tensor& bias) {
  if (weight.numel() < min_weights) {
    ++kept;
    return {};
  }
  ++quantized;
  return Int8Linear(weight, bias);
}

Int8Linear Int8Plan::make_stacked(const std::vector<torch::Tensor>& weights,
                                  const std::vector<torch::Tensor>& biases) {
  int64_t n = 0;
  for (const auto& w : weights) n += w.numel();
  if (n < min_weights) {
    ++kept;
    return {};
  }
  ++quantized;
  return Int8Linear::stacked(weights, biases);
}

torch::Tensor Int8Linear::dequantized_weight() const {
  return qweight_.defined() ? qweight_.dequantize() : torch::Tensor();
}

}  // namespace tinynmt
