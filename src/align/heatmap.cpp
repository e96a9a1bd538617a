#include "align/heatmap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "align/selection.h"
#include "util/utf8.h"

namespace tinynmt::align {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMargin = 12;
constexpr double kLabelGap = 4;
constexpr double kBarWidth = 14;

void check_shape(const Matrix& m, const std::vector<std::string>& src_labels,
                 const std::vector<std::string>& tgt_labels) {
  if (m.empty() || m[0].empty()) throw std::invalid_argument("heatmap: empty matrix");
  if (m.size() != tgt_labels.size()) {
    throw std::invalid_argument(fmt::format("heatmap: matrix has {} rows but {} target labels",
                                            m.size(), tgt_labels.size()));
  }
  for (size_t r = 0; r < m.size(); ++r) {
    if (m[r].size() != src_labels.size()) {
      throw std::invalid_argument(
          fmt::format("heatmap: row {} has {} columns but there are {} source labels", r,
                      m[r].size(), src_labels.size()));
    }
  }
}

// The colour scale actually used: [vmin, vmax], or [vmin, max weight] when vmax <= vmin.
std::pair<double, double> scale_of(const std::vector<Matrix>& ms, const HeatmapOptions& o) {
  double lo = o.vmin, hi = o.vmax;
  if (hi <= lo) {
    hi = lo;
    for (const auto& m : ms)
      for (const auto& row : m)
        for (float v : row) hi = std::max(hi, static_cast<double>(v));
    if (hi <= lo) hi = lo + 1.0;
  }
  return {lo, hi};
}

double normalise(double v, std::pair<double, double> scale) {
  double t = (v - scale.first) / (scale.second - scale.first);
  if (!(t >= 0)) t = 0;  // also NaN
  return std::min(1.0, t);
}

std::string tick_label(double v) { return fmt::format("{:.2g}", v); }

// Geometry shared by all panels of a figure.
struct Layout {
  double cell = 20;
  double font = 11;
  double ylabel_w = 0;  // widest target label
  double xlabel_h = 0;  // widest source label (drawn rotated)
  double panel_title_h = 0;
  double matrix_w = 0, matrix_h = 0;
  double panel_w = 0, panel_h = 0;  // including labels and panel title
};

Layout make_layout(cairo_t* cr, size_t rows, size_t cols, const std::vector<std::string>& src,
                   const std::vector<std::string>& tgt, bool panel_titles,
                   const HeatmapOptions& o) {
  Layout l;
  const double longest = static_cast<double>(std::max(rows, cols));
  l.cell = std::clamp(std::floor(o.max_matrix_side / longest), static_cast<double>(o.min_cell),
                      static_cast<double>(o.max_cell));
  l.font = std::clamp(l.cell * 0.55, 6.0, 12.0);
  set_font(cr, o.font, l.font);
  for (const auto& s : tgt) l.ylabel_w = std::max(l.ylabel_w, text_width(cr, s));
  for (const auto& s : src) l.xlabel_h = std::max(l.xlabel_h, text_width(cr, s));
  l.panel_title_h = panel_titles ? l.font + 8 : 0;
  l.matrix_w = l.cell * cols;
  l.matrix_h = l.cell * rows;
  l.panel_w = l.ylabel_w + kLabelGap + l.matrix_w;
  l.panel_h = l.panel_title_h + l.matrix_h + kLabelGap + l.xlabel_h;
  return l;
}

// Draws one panel with its top-left corner at (x0, y0).
void draw_panel(cairo_t* cr, double x0, double y0, const Layout& l, const Matrix& m,
                const std::vector<std::string>& src, const std::vector<std::string>& tgt,
                const std::string& panel_title, std::pair<double, double> scale,
                const HeatmapOptions& o) {
  const double mx = x0 + l.ylabel_w + kLabelGap;  // matrix origin
  const double my = y0 + l.panel_title_h;
  if (!panel_title.empty()) {
    set_font(cr, o.font, l.font, true);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, mx + (l.matrix_w - text_width(cr, panel_title)) / 2, y0 + l.font + 2);
    cairo_show_text(cr, panel_title.c_str());
  }
  for (size_t r = 0; r < m.size(); ++r) {
    for (size_t c = 0; c < m[r].size(); ++c) {
      double red, green, blue;
      viridis(normalise(m[r][c], scale), &red, &green, &blue);
      cairo_set_source_rgb(cr, red, green, blue);
      // Cells overlap by a hair so no seams show between them in vector output.
      cairo_rectangle(cr, mx + c * l.cell, my + r * l.cell, l.cell + 0.3, l.cell + 0.3);
      cairo_fill(cr);
    }
  }
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, mx, my, l.matrix_w, l.matrix_h);
  cairo_stroke(cr);

  set_font(cr, o.font, l.font);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double baseline_shift = (fe.ascent - fe.descent) / 2;  // centre text on a line
  // Target labels: right-aligned left of the matrix.
  for (size_t r = 0; r < tgt.size(); ++r) {
    const double w = text_width(cr, tgt[r]);
    cairo_move_to(cr, mx - kLabelGap - w, my + (r + 0.5) * l.cell + baseline_shift);
    cairo_show_text(cr, tgt[r].c_str());
  }
  // Source labels: below the matrix, rotated to read bottom-to-top, ending at the matrix.
  for (size_t c = 0; c < src.size(); ++c) {
    const double w = text_width(cr, src[c]);
    cairo_save(cr);
    cairo_move_to(cr, mx + (c + 0.5) * l.cell + baseline_shift, my + l.matrix_h + kLabelGap + w);
    cairo_rotate(cr, -kPi / 2);
    cairo_show_text(cr, src[c].c_str());
    cairo_restore(cr);
  }
}

// Vertical colour bar with ticks at vmin, middle and vmax.
void draw_colour_bar(cairo_t* cr, double x, double y, double h, std::pair<double, double> scale,
                     const HeatmapOptions& o, double font) {
  const int steps = std::max(2, static_cast<int>(h));
  for (int i = 0; i < steps; ++i) {
    double red, green, blue;
    viridis(1.0 - static_cast<double>(i) / (steps - 1), &red, &green, &blue);
    cairo_set_source_rgb(cr, red, green, blue);
    cairo_rectangle(cr, x, y + h * i / steps, kBarWidth, h / steps + 0.5);
    cairo_fill(cr);
  }
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x, y, kBarWidth, h);
  cairo_stroke(cr);
  set_font(cr, o.font, font);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (double f : {0.0, 0.5, 1.0}) {
    const double v = scale.first + f * (scale.second - scale.first);
    const double ty = y + h * (1.0 - f);
    cairo_move_to(cr, x + kBarWidth, ty);
    cairo_line_to(cr, x + kBarWidth + 3, ty);
    cairo_stroke(cr);
    cairo_move_to(cr, x + kBarWidth + 5, ty + font * 0.35);
    cairo_show_text(cr, tick_label(v).c_str());
  }
}

double colour_bar_width(cairo_t* cr, std::pair<double, double> scale, const HeatmapOptions& o,
                        double font) {
  set_font(cr, o.font, font);
  double w = 0;
  for (double f : {0.0, 0.5, 1.0}) {
    w = std::max(w, text_width(cr, tick_label(scale.first + f * (scale.second - scale.first))));
  }
  return 2 * kMargin + kBarWidth + 5 + w;
}

// Geometry of a whole figure: panels in a near-square grid, title on top, colour bar right.
struct Figure {
  Layout l;
  HeatmapOptions panel_opts;
  size_t grid_cols = 1, grid_rows = 1;
  double title_font = 12, title_h = 0, gap = kMargin * 1.5, grid_w = 0, grid_h = 0, top = 0;
  int width = 0, height = 0;
};

Figure make_figure(size_t n, size_t rows, size_t cols, const std::vector<std::string>& src,
                   const std::vector<std::string>& tgt, bool has_titles,
                   std::pair<double, double> scale, const HeatmapOptions& o) {
  Figure f;
  f.grid_cols = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  f.grid_rows = (n + f.grid_cols - 1) / f.grid_cols;
  f.panel_opts = o;
  // Keep the whole figure within a similar budget as one matrix.
  f.panel_opts.max_matrix_side =
      std::max(o.min_cell * 4, o.max_matrix_side / static_cast<int>(f.grid_cols));
  // Measure text with a scratch surface.
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 4, 4);
  cairo_t* cr = cairo_create(scratch);
  f.l = make_layout(cr, rows, cols, src, tgt, has_titles, f.panel_opts);
  f.title_font = std::max(f.l.font + 2, 12.0);
  set_font(cr, o.font, f.title_font, true);
  const double title_w = o.title.empty() ? 0 : text_width(cr, o.title);
  const double bar_w = colour_bar_width(cr, scale, o, f.l.font);
  cairo_destroy(cr);
  cairo_surface_destroy(scratch);

  f.title_h = o.title.empty() ? 0 : f.title_font + 10;
  f.grid_w = f.grid_cols * f.l.panel_w + (f.grid_cols - 1) * f.gap;
  f.grid_h = f.grid_rows * f.l.panel_h + (f.grid_rows - 1) * f.gap;
  f.top = kMargin + f.title_h;
  f.width =
      static_cast<int>(std::ceil(std::max(kMargin + f.grid_w + bar_w, 2 * kMargin + title_w)));
  f.height = static_cast<int>(std::ceil(f.top + f.grid_h + kMargin));
  return f;
}

bool any_title(const std::vector<std::string>& titles) {
  for (const auto& t : titles)
    if (!t.empty()) return true;
  return false;
}

void render_panels(const std::vector<Matrix>& panels, const std::vector<std::string>& titles,
                   const std::vector<std::string>& src, const std::vector<std::string>& tgt,
                   const std::string& path, ImageFormat fmt, const HeatmapOptions& o) {
  const auto scale = scale_of(panels, o);
  const Figure f = make_figure(panels.size(), panels[0].size(), panels[0][0].size(), src, tgt,
                               any_title(titles), scale, o);
  Canvas canvas(path, fmt, f.width, f.height);
  cairo_t* cr = canvas.cr();
  if (!o.title.empty()) {
    set_font(cr, o.font, f.title_font, true);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, kMargin, kMargin + f.title_font);
    cairo_show_text(cr, o.title.c_str());
  }
  for (size_t k = 0; k < panels.size(); ++k) {
    const double x0 = kMargin + (k % f.grid_cols) * (f.l.panel_w + f.gap);
    const double y0 = f.top + (k / f.grid_cols) * (f.l.panel_h + f.gap);
    draw_panel(cr, x0, y0, f.l, panels[k], src, tgt, k < titles.size() ? titles[k] : "", scale,
               f.panel_opts);
  }
  draw_colour_bar(cr, kMargin + f.grid_w + kMargin, f.top + f.l.panel_title_h, f.l.matrix_h, scale,
                  o, f.l.font);
  canvas.finish();
}

int display_width(const std::string& s) { return static_cast<int>(utf8_decode(s).size()); }

}  // namespace

void viridis(double t, double* r, double* g, double* b) {
  // An approximation of matplotlib's viridis: 10 anchors at t = 0, 1/9, ..., 1, interpolated.
  static const double kStops[9][3] = {
      {0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
      {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
      {0.135, 0.659, 0.518}, {0.267, 0.749, 0.441}, {0.478, 0.821, 0.318}};
  static const double kLast[3] = {0.993, 0.906, 0.144};
  if (!(t >= 0)) t = 0;
  t = std::min(1.0, t);
  // 10 anchor points: the 9 stops above (0 .. 8/9) and yellow at 1.
  const double pos = t * 9.0;
  const int i = std::min(8, static_cast<int>(pos));
  const double f = pos - i;
  const double* a = kStops[i];
  const double* c = i + 1 < 9 ? kStops[i + 1] : kLast;
  *r = a[0] + f * (c[0] - a[0]);
  *g = a[1] + f * (c[1] - a[1]);
  *b = a[2] + f * (c[2] - a[2]);
}

HeatmapGeometry heatmap_geometry(size_t rows, size_t cols,
                                 const std::vector<std::string>& src_labels,
                                 const std::vector<std::string>& tgt_labels,
                                 const HeatmapOptions& opts) {
  // The colour bar's width depends on the tick labels, hence on the scale; with vmax <= vmin
  // the scale depends on the data, which this function does not see: assume [vmin, vmin + 1].
  std::pair<double, double> scale{opts.vmin, opts.vmax > opts.vmin ? opts.vmax : opts.vmin + 1};
  const Figure f = make_figure(1, rows, cols, src_labels, tgt_labels, false, scale, opts);
  HeatmapGeometry g;
  g.width = f.width;
  g.height = f.height;
  g.matrix_x = kMargin + f.l.ylabel_w + kLabelGap;
  g.matrix_y = f.top;
  g.cell = f.l.cell;
  return g;
}

void render_heatmap(const Matrix& m, const std::vector<std::string>& src_labels,
                    const std::vector<std::string>& tgt_labels, const std::string& path,
                    ImageFormat fmt, const HeatmapOptions& opts) {
  check_shape(m, src_labels, tgt_labels);
  render_panels({m}, {""}, src_labels, tgt_labels, path, fmt, opts);
}

void render_heatmap_grid(const std::vector<Matrix>& panels,
                         const std::vector<std::string>& panel_titles,
                         const std::vector<std::string>& src_labels,
                         const std::vector<std::string>& tgt_labels, const std::string& path,
                         ImageFormat fmt, const HeatmapOptions& opts) {
  if (panels.empty()) throw std::invalid_argument("heatmap grid: no matrices");
  for (const auto& m : panels) check_shape(m, src_labels, tgt_labels);
  render_panels(panels, panel_titles, src_labels, tgt_labels, path, fmt, opts);
}

std::string render_heatmap_text(const Matrix& m, const std::vector<std::string>& src_labels,
                                const std::vector<std::string>& tgt_labels,
                                const HeatmapOptions& opts) {
  check_shape(m, src_labels, tgt_labels);
  static const char* kShades[5] = {" ", "\u2591", "\u2592", "\u2593", "\u2588"};
  const auto scale = scale_of({m}, opts);
  std::string out;
  if (!opts.title.empty()) out += opts.title + "\n";
  out += "source:";
  for (size_t c = 0; c < src_labels.size(); ++c) out += fmt::format(" {}:{}", c, src_labels[c]);
  out += "\n";
  int label_w = 0;
  for (const auto& t : tgt_labels) label_w = std::max(label_w, display_width(t));
  // Column numbers (last digit), two characters per column.
  out += std::string(label_w + 2, ' ');
  for (size_t c = 0; c < src_labels.size(); ++c) out += fmt::format("{:<2}", c % 10);
  out += "\n";
  for (size_t r = 0; r < m.size(); ++r) {
    out += std::string(label_w - display_width(tgt_labels[r]), ' ') + tgt_labels[r] + " \u2502";
    size_t best = 0;
    for (size_t c = 0; c < m[r].size(); ++c) {
      if (m[r][c] > m[r][best]) best = c;
      const double t = normalise(m[r][c], scale);
      const int level = std::clamp(static_cast<int>(std::lround(t * 4)), 0, 4);
      out += kShades[level];
      out += kShades[level];
    }
    out += fmt::format("\u2502 {} {:.2f}\n", src_labels[best], m[r][best]);
  }
  out += fmt::format(
      "shades: ' '<{:.2g} \u2591 \u2592 \u2593 \u2588>={:.2g}; right: argmax "
      "source token and its weight\n",
      scale.first + 0.125 * (scale.second - scale.first),
      scale.first + 0.875 * (scale.second - scale.first));
  return out;
}

Matrix mean_matrix(const std::vector<Matrix>& ms) {
  std::vector<const Matrix*> ptrs;
  for (const auto& m : ms) ptrs.push_back(&m);
  return mean_of(ptrs, MeanRounding::kDivide);
}

}  // namespace tinynmt::align
