#include "align/curves.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "align/canvas.h"

namespace tinynmt::align {
namespace {

constexpr const char* kFont = "DejaVu Sans";
constexpr int kWidth = 720;
constexpr int kHeight = 560;
constexpr double kLeft = 64, kRight = 28, kTop = 56, kBottom = 44, kPanelGap = 52;

std::string tick_text(double v, double step) {
  int digits = 0;
  if (step < 1) digits = std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  if (std::fabs(v) >= 1e5 && step >= 1) return fmt::format("{:.3g}", v);
  return fmt::format("{:.{}f}", v, digits);
}

struct Series {
  std::vector<std::pair<double, double>> xy;
};

void draw_panel(cairo_t* cr, double x0, double y0, double w, double h, const Series& s,
                double xmin, double xmax, const std::string& ylabel, double r, double g, double b,
                bool markers) {
  // Frame.
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x0, y0, w, h);
  cairo_stroke(cr);
  set_font(cr, kFont, 12, true);
  cairo_move_to(cr, x0, y0 - 8);
  cairo_show_text(cr, ylabel.c_str());
  set_font(cr, kFont, 10);
  if (s.xy.empty()) {
    cairo_move_to(cr, x0 + w / 2 - 20, y0 + h / 2);
    cairo_show_text(cr, "no data");
    return;
  }
  double ymin = s.xy[0].second, ymax = ymin;
  for (const auto& p : s.xy) {
    ymin = std::min(ymin, p.second);
    ymax = std::max(ymax, p.second);
  }
  const auto yt = nice_ticks(ymin, ymax);
  const auto xt = nice_ticks(xmin, xmax);
  const double ylo = yt.front(), yhi = yt.back();
  const double xlo = xt.front(), xhi = xt.back();
  auto px = [&](double x) { return x0 + (x - xlo) / (xhi - xlo) * w; };
  auto py = [&](double y) { return y0 + h - (y - ylo) / (yhi - ylo) * h; };
  // Grid and tick labels.
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double v : yt) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, x0, py(v));
    cairo_line_to(cr, x0 + w, py(v));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    const std::string t = tick_text(v, ystep);
    cairo_move_to(cr, x0 - 6 - text_width(cr, t), py(v) + 3.5);
    cairo_show_text(cr, t.c_str());
  }
  for (double v : xt) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, px(v), y0);
    cairo_line_to(cr, px(v), y0 + h);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    const std::string t = tick_text(v, xstep);
    cairo_move_to(cr, px(v) - text_width(cr, t) / 2, y0 + h + 14);
    cairo_show_text(cr, t.c_str());
  }
  // The series.
  cairo_set_source_rgb(cr, r, g, b);
  cairo_set_line_width(cr, 1.6);
  for (size_t i = 0; i < s.xy.size(); ++i) {
    if (i == 0) {
      cairo_move_to(cr, px(s.xy[i].first), py(s.xy[i].second));
    } else {
      cairo_line_to(cr, px(s.xy[i].first), py(s.xy[i].second));
    }
  }
  cairo_stroke(cr);
  if (markers || s.xy.size() == 1) {
    for (const auto& p : s.xy) {
      cairo_arc(cr, px(p.first), py(p.second), 3, 0, 2 * 3.14159265358979);
      cairo_fill(cr);
    }
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12) {
    const double pad = std::max(std::fabs(lo) * 0.1, 1.0);
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  const double first = std::floor(lo / step + 1e-9) * step;
  const double last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double v = first; v <= last + step * 1e-6; v += step) {
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  if (ticks.size() < 2) ticks.push_back(ticks.empty() ? first + step : ticks.back() + step);
  return ticks;
}

void render_curves(const std::vector<CurvePoint>& points, const std::string& path,
                   const std::string& title) {
  std::vector<CurvePoint> sorted = points;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.step < b.step; });
  Series loss, bleu;
  double xmin = 0, xmax = 1;
  if (!sorted.empty()) {
    xmin = static_cast<double>(sorted.front().step);
    xmax = static_cast<double>(sorted.back().step);
  }
  for (const auto& p : sorted) {
    if (p.train_loss && std::isfinite(*p.train_loss)) {
      loss.xy.emplace_back(static_cast<double>(p.step), *p.train_loss);
    }
    if (p.val_bleu && std::isfinite(*p.val_bleu)) {
      bleu.xy.emplace_back(static_cast<double>(p.step), *p.val_bleu);
    }
  }
  Canvas canvas(path, image_format_of_path(path), kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  if (!title.empty()) {
    set_font(cr, kFont, 13, true);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, kLeft, 22);
    cairo_show_text(cr, title.c_str());
  }
  const double w = kWidth - kLeft - kRight;
  const double h = (kHeight - kTop - kBottom - kPanelGap) / 2;
  draw_panel(cr, kLeft, kTop, w, h, loss, xmin, xmax, "training loss", 0.17, 0.40, 0.70, false);
  draw_panel(cr, kLeft, kTop + h + kPanelGap, w, h, bleu, xmin, xmax, "validation BLEU", 0.80,
             0.33, 0.10, true);
  set_font(cr, kFont, 11);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, kLeft + w / 2 - 12, kHeight - 10);
  cairo_show_text(cr, "step");
  canvas.finish();
}

}  // namespace tinynmt::align
