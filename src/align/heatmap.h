// Attention heatmaps: a [tgt][src] weight matrix drawn with cairo as PNG, SVG or PDF (source
// tokens along x with labels rotated 90°, target tokens along y, a colour bar, a title), a grid of
// several matrices (e.g. all heads of a layer) sharing one colour scale, and a plain-text
// rendering with shaded Unicode blocks for terminals.
#pragma once

#include <string>
#include <vector>

#include "align/canvas.h"
#include "align/word_align.h"

namespace tinynmt::align {

struct HeatmapOptions {
  std::string title;                  // figure title (e.g. "sentence 3 | model | layer 2 | head 0")
  std::string font = "DejaVu Sans";   // fontconfig family; must cover the labels' characters
  double vmin = 0.0;                  // colour scale; weight <= vmin is the darkest colour
  double vmax = 1.0;                  // weight >= vmax is the brightest; vmax <= vmin: use max
  int max_cell = 28;                  // cell side in px, upper bound
  int min_cell = 6;                   // cell side in px, lower bound
  int max_matrix_side = 900;          // px budget for the longer side of one matrix
};

/// Where render_heatmap puts things (pixels/points from the top-left corner of the image).
struct HeatmapGeometry {
  int width = 0, height = 0;         // image size
  double matrix_x = 0, matrix_y = 0;  // top-left corner of cell [0][0]
  double cell = 0;                   // side of one cell
};

/// The geometry render_heatmap uses for a rows x cols matrix with these labels and options.
HeatmapGeometry heatmap_geometry(size_t rows, size_t cols, const std::vector<std::string>& src_labels,
                                 const std::vector<std::string>& tgt_labels,
                                 const HeatmapOptions& opts = {});

/// Colour of a weight in [0, 1] on the viridis colour map (RGB in [0, 1]).
void viridis(double t, double* r, double* g, double* b);

/// Draws one matrix. m: [tgt][src] (rows = target tokens = y, columns = source tokens = x);
/// src_labels.size() must equal the columns and tgt_labels.size() the rows.
/// Throws std::invalid_argument on a size mismatch or an empty matrix, std::runtime_error when
/// the file cannot be written.
void render_heatmap(const Matrix& m, const std::vector<std::string>& src_labels,
                    const std::vector<std::string>& tgt_labels, const std::string& path,
                    ImageFormat fmt, const HeatmapOptions& opts = {});

/// Draws several matrices of the same shape in a near-square grid with one shared colour bar,
/// each under its panel title (e.g. "head 0"). Throws as render_heatmap.
void render_heatmap_grid(const std::vector<Matrix>& panels,
                         const std::vector<std::string>& panel_titles,
                         const std::vector<std::string>& src_labels,
                         const std::vector<std::string>& tgt_labels, const std::string& path,
                         ImageFormat fmt, const HeatmapOptions& opts = {});

/// Text rendering: a title line, the numbered source tokens, then one line per target token
/// with two characters per source token shaded " ", "░", "▒", "▓", "█" by weight (scale as in
/// opts.vmin/vmax), the argmax cell of each row marked, and a legend. Throws as render_heatmap.
std::string render_heatmap_text(const Matrix& m, const std::vector<std::string>& src_labels,
                                const std::vector<std::string>& tgt_labels,
                                const HeatmapOptions& opts = {});

/// Mean of several same-shaped matrices (e.g. over heads or layers). Throws
/// std::invalid_argument on an empty list or different shapes.
Matrix mean_matrix(const std::vector<Matrix>& ms);

}  // namespace tinynmt::align
