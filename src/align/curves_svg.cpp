#include "align/curves_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "util/html.h"

namespace tinynmt::align {
namespace {

constexpr double kW = 260, kH = 150, kPad = 52;

std::string number(double v) {
  const double a = std::abs(v);
  if (a != 0 && (a < 1e-2 || a >= 1e5)) return fmt::format("{:.2e}", v);
  return fmt::format("{:.4g}", v);
}

// One panel at (x0, y0): frame, title, the polyline, and the x and y ranges.
std::string panel(const CurveSeries& s, double x0, double y0) {
  std::vector<std::pair<double, double>> p;
  for (const auto& xy : s.points)
    if (std::isfinite(xy.first) && std::isfinite(xy.second)) p.push_back(xy);
  std::string out = fmt::format(
      "<g transform=\"translate({},{})\"><rect x=\"{}\" y=\"18\" width=\"{}\" height=\"{}\" "
      "fill=\"none\" stroke=\"#ccc\"/><text x=\"{}\" y=\"12\" font-size=\"12\">{}</text>",
      x0, y0, kPad, kW - kPad - 6, kH - 40, kPad, escape_html(s.title));
  if (p.empty())
    return out + fmt::format(
                     "<text x=\"{}\" y=\"70\" font-size=\"11\" "
                     "fill=\"#888\">no data yet</text></g>",
                     kPad + 8);
  auto [xmin, xmax] =
      std::minmax_element(p.begin(), p.end(), [](auto& a, auto& b) { return a.first < b.first; });
  auto [ymin, ymax] =
      std::minmax_element(p.begin(), p.end(), [](auto& a, auto& b) { return a.second < b.second; });
  const double x_lo = xmin->first, x_span = std::max(1e-12, xmax->first - x_lo);
  const double y_lo = ymin->second, y_span = std::max(1e-12, ymax->second - y_lo);
  const double w = kW - kPad - 10, h = kH - 48;
  std::string pts;
  for (const auto& [x, y] : p)
    pts += fmt::format("{:.1f},{:.1f} ", kPad + 2 + w * (x - x_lo) / x_span,
                       22 + h - h * (y - y_lo) / y_span);
  out += fmt::format(
      "<polyline fill=\"none\" stroke=\"#2a5db0\" stroke-width=\"1.5\" points=\"{}\"/>", pts);
  out += fmt::format(
      "<text x=\"{}\" y=\"28\" font-size=\"10\" text-anchor=\"end\">{}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"10\">step {}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text></g>",
      kPad - 2, number(ymax->second), kPad - 2, kH - 24, number(ymin->second), kPad, kH - 8,
      number(x_lo), kW - 6, kH - 8, number(xmax->first));
  return out;
}

}  // namespace

std::string curves_svg(const std::vector<CurveSeries>& series) {
  const size_t per_row = 4, rows = (series.size() + per_row - 1) / per_row;
  std::string out = fmt::format(
      "<svg width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\">",
      kW * static_cast<double>(std::min(per_row, std::max<size_t>(1, series.size()))),
      kH * static_cast<double>(rows));
  for (size_t i = 0; i < series.size(); ++i)
    out += panel(series[i], kW * static_cast<double>(i % per_row),
                 kH * static_cast<double>(i / per_row));
  return out + "</svg>";
}

}  // namespace tinynmt::align
