// Training curves as inline SVG for the run's report page (train/run_report.h): small multiples,
// one panel per series, each a polyline over training steps with its range written beside it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tinynmt::align {

struct CurveSeries {
  std::string title;                              ///< e.g. "validation BLEU"
  std::vector<std::pair<double, double>> points;  ///< (step, value), in step order
};

/// One <svg> element holding a 260×150 px panel per series (four to a row); a series without
/// points draws "no data yet". Titles are escaped; the rest is numbers, so the result is safe
/// to insert as markup. Non-finite values are skipped.
std::string curves_svg(const std::vector<CurveSeries>& series);

}  // namespace tinynmt::align
