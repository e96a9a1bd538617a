// Learning-rate schedules: constant, noam (inverse square root with linear warmup; Vaswani et al.
// 2017 §5.3, peak scaled to training.lr), reduce-on-plateau on the validation metric, and
// linear warmup followed by linear decay to 0 at max_steps.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"

namespace tinynmt {

class LrSchedule {
 public:
  explicit LrSchedule(const TrainingConfig& cfg);

  /// Learning rate for optimiser step `step` (1-based).
  ///  constant: lr
  ///  noam: lr · min(step / warmup, sqrt(warmup / step))   (peak lr at step = warmup)
  ///  plateau: lr · scale (scale *= decay_factor after plateau_patience bad validations), with a
  ///           linear warmup when warmup > 0; never below min_lr
  ///  warmup_linear: lr · step / warmup, then lr · (max_steps - step) / (max_steps - warmup)
  double lr_at(int64_t step) const;

  /// Reports a validation score (higher_is_better tells the direction); plateau uses it.
  void on_validation(double score, bool higher_is_better);

  /// State for checkpoints (plateau bookkeeping).
  std::string state_json() const;
  void load_state_json(const std::string& json);

  double plateau_scale() const { return scale_; }

 private:
  TrainingConfig cfg_;
  double scale_ = 1.0;
  double best_ = 0.0;
  bool has_best_ = false;
  int64_t bad_ = 0;
};

}  // namespace tinynmt
