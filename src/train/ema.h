// An exponential moving average (EMA) of a model's weights during training: Polyak averaging
// (Polyak & Juditsky 1992) in its exponential form, as Marian's --exponential-smoothing keeps it.
// After each optimiser step t (1-based), for every weight theta:
//   ema <- d * ema + (1 - d) * theta,   d = training.ema_decay
// or, with training.ema_warmup, d_t = min(decay, (1 + t) / (10 + t)) (TensorFlow's
// ExponentialMovingAverage with num_updates), so early averages do not remember the random init.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace tinynmt {

class WeightEma {
 public:
  /// Starts the average at `model`'s current weights (a copy of run/checkpoint.h
  /// weight_tensors(model): floating-point parameters and buffers, each once). `model` must
  /// outlive the WeightEma and keep its tensors. Throws std::invalid_argument unless
  /// 0 <= decay < 1.
  WeightEma(torch::nn::Module& model, double decay, bool warmup);

  /// The decay used after optimiser step `step` (1-based): decay, or min(decay, (1+t)/(10+t)).
  double decay_at(int64_t step) const;

  /// ema <- d * ema + (1 - d) * theta for every tensor (one in-place lerp_ per tensor, no
  /// gradient), d = decay_at(step). Call after the optimiser step. Throws std::logic_error while
  /// swapped.
  void update(int64_t step);

  /// Exchanges the model's weights with the averages without copying (each model tensor is
  /// pointed at the other storage, set_data); swap() again restores both. Optimiser state keyed
  /// by the parameter tensors is unaffected. While swapped, held() are the raw weights.
  void swap();
  bool swapped() const { return swapped_; }

  /// The averages (not swapped) or the raw training weights (swapped), in weight_tensors order.
  const std::vector<torch::Tensor>& held() const { return held_; }

  /// Sets the averages to copies of `weights` (weight_tensors order and shapes; not swapped).
  /// Throws std::invalid_argument when count or shapes differ.
  void assign(const std::vector<torch::Tensor>& weights);

 private:
  std::vector<torch::Tensor> model_;  ///< the model's tensors (same TensorImpl as registered)
  std::vector<torch::Tensor> held_;
  double decay_;
  bool warmup_;
  bool swapped_ = false;
};

/// Swaps an EMA's averages into its model for the guard's scope (WeightEma::swap), and back at its
/// end; nothing when `ema` is null or already swapped in (nested guards swap once).
class EmaSwapGuard {
 public:
  explicit EmaSwapGuard(WeightEma* ema) : ema_(ema && !ema->swapped() ? ema : nullptr) {
    if (ema_) ema_->swap();
  }
  ~EmaSwapGuard() {
    if (ema_) ema_->swap();
  }
  EmaSwapGuard(const EmaSwapGuard&) = delete;
  EmaSwapGuard& operator=(const EmaSwapGuard&) = delete;

 private:
  WeightEma* ema_;
};

}  // namespace tinynmt
