#include "train/ema.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "run/checkpoint.h"

namespace tinynmt {

WeightEma::WeightEma(torch::nn::Module& model, double decay, bool warmup)
    : model_(weight_tensors(model)), decay_(decay), warmup_(warmup) {
  if (!(decay >= 0 && decay < 1))
    throw std::invalid_argument("WeightEma: decay must be in [0, 1), got " + std::to_string(decay));
  torch::NoGradGuard no_grad;
  held_.reserve(model_.size());
  for (const auto& t : model_) held_.push_back(t.detach().clone());
}

double WeightEma::decay_at(int64_t step) const {
  if (!warmup_) return decay_;
  return std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void WeightEma::update(int64_t step) {
  if (swapped_) throw std::logic_error("WeightEma::update: the averages are swapped in");
  torch::NoGradGuard no_grad;
  // lerp_(theta, w) = ema + w * (theta - ema) with w = 1 - d; w = 1 gives theta exactly.
  const double w = 1.0 - decay_at(step);
  for (size_t i = 0; i < held_.size(); ++i) held_[i].lerp_(model_[i].detach(), w);
}

void WeightEma::swap() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < held_.size(); ++i) {
    torch::Tensor mine = model_[i].variable_data();  // the current storage, own version counter
    model_[i].set_data(held_[i]);
    held_[i] = mine;
  }
  swapped_ = !swapped_;
}

void WeightEma::assign(const std::vector<torch::Tensor>& weights) {
  if (swapped_) throw std::logic_error("WeightEma::assign: the averages are swapped in");
  if (weights.size() != held_.size())
    throw std::invalid_argument("WeightEma::assign: " + std::to_string(weights.size()) +
                                " tensors for " + std::to_string(held_.size()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < held_.size(); ++i) {
    if (weights[i].sizes() != held_[i].sizes())
      throw std::invalid_argument("WeightEma::assign: tensor " + std::to_string(i) +
                                  " has another shape");
    held_[i].copy_(weights[i]);
  }
}

}  // namespace tinynmt
