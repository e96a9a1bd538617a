// Training curves: training loss and validation BLEU against the step, two stacked panels in one
// image. The trainer calls render_curves at each validation; the file is replaced atomically.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinynmt::align {

struct CurvePoint {
  int64_t step = 0;
  std::optional<double> train_loss;  // nats per target token (any unit; drawn as given)
  std::optional<double> val_bleu;    // 0-100
};

/// Draws the loss (top panel) and validation BLEU (bottom panel) of `points` against step to
/// `path` (PNG, or SVG/PDF if the path ends in .svg/.pdf). Points without a value for a panel are
/// skipped in it; a panel without any value says "no data". Points need not be sorted.
/// Throws std::runtime_error naming the path when the image cannot be written.
void render_curves(const std::vector<CurvePoint>& points, const std::string& path,
                   const std::string& title = "");

/// "Nice" axis ticks (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi], about `target`
/// of them. Returns at least two ticks; lo == hi is widened.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace tinynmt::align
