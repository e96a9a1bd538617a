#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tinynmt {

LrSchedule::LrSchedule(const TrainingConfig& cfg) : cfg_(cfg) {}

double LrSchedule::lr_at(int64_t step) const {
  const double s = static_cast<double>(std::max<int64_t>(step, 1));
  const double w = static_cast<double>(cfg_.warmup);
  const std::string& kind = cfg_.schedule;
  if (kind == "noam") return cfg_.lr * std::min(s / w, std::sqrt(w / s));
  if (kind == "warmup_linear") {
    if (s < w) return cfg_.lr * s / w;
    double span = std::max(1.0, static_cast<double>(cfg_.max_steps) - w);
    return cfg_.lr * std::max(0.0, (static_cast<double>(cfg_.max_steps) - s) / span);
  }
  if (kind == "plateau") {
    double warm = w > 0 && s < w ? s / w : 1.0;
    return std::max(cfg_.min_lr, cfg_.lr * scale_) * warm;
  }
  return cfg_.lr;  // constant
}

void LrSchedule::on_validation(double score, bool higher_is_better) {
  bool improved = !has_best_ || (higher_is_better ? score > best_ : score < best_);
  if (improved) {
    best_ = score;
    has_best_ = true;
    bad_ = 0;
    return;
  }
  if (cfg_.schedule == "plateau" && ++bad_ > cfg_.plateau_patience) {
    scale_ *= cfg_.decay_factor;
    bad_ = 0;
  }
}

std::string LrSchedule::state_json() const {
  return nlohmann::json{{"scale", scale_}, {"best", best_}, {"has_best", has_best_}, {"bad", bad_}}
      .dump();
}

void LrSchedule::load_state_json(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  scale_ = j.at("scale").get<double>();
  best_ = j.at("best").get<double>();
  has_best_ = j.at("has_best").get<bool>();
  bad_ = j.at("bad").get<int64_t>();
}

}  // namespace tinynmt
