// Heatmap and curve rendering: pixels read back from the PNG, SVG well-formedness, text mode.
#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "align/curves.h"
#include "align/heatmap.h"
#include "temp_files.h"

namespace {

using namespace tinynmt::align;

using tinynmt::test_files::slurp;

std::string temp_path(const std::string& name) {
  return tinynmt::test_files::temp_file("heatmap", name);
}

// RGB of pixel (x, y) of an image surface, 0-255.
std::array<int, 3> pixel(cairo_surface_t* s, int x, int y) {
  cairo_surface_flush(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  uint32_t v;
  std::memcpy(&v, data + y * stride + 4 * x, 4);
  return {static_cast<int>((v >> 16) & 0xFF), static_cast<int>((v >> 8) & 0xFF),
          static_cast<int>(v & 0xFF)};
}

// Checks that the tags of an XML document balance (a small, strict-enough parser for the SVG
// cairo writes: declarations, comments, CDATA, self-closing and paired tags).
bool xml_tags_balance(const std::string& xml, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string::npos) {
    if (xml.compare(i, 4, "<!--") == 0) {
      i = xml.find("-->", i);
      if (i == std::string::npos) return *why = "unclosed comment", false;
      continue;
    }
    if (xml.compare(i, 9, "<![CDATA[") == 0) {
      i = xml.find("]]>", i);
      if (i == std::string::npos) return *why = "unclosed CDATA", false;
      continue;
    }
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return *why = "unclosed tag", false;
    const std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1, tag.find_first_of(" \t\n") - 1);
      if (stack.empty() || stack.back() != name) {
        return *why = "closing </" + name + "> does not match <" +
                      (stack.empty() ? "" : stack.back()) + ">",
               false;
      }
      stack.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    stack.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  return true;
}

const std::vector<std::string> kSrc = {"Ein", "M\u00e4dchen", "l\u00e4uft", "."};
const std::vector<std::string> kTgt = {"A", "girl", "runs"};

Matrix known_matrix() {
  return {{0.9f, 0.05f, 0.05f, 0.0f}, {0.0f, 0.9f, 0.05f, 0.05f}, {0.0f, 0.05f, 0.9f, 0.05f}};
}

TEST(Heatmap, PngHasExpectedSizeAndCellColours) {
  const std::string path = temp_path("m.png");
  HeatmapOptions opts;
  opts.title = "sentence 0 | toy | layer 0 | head 0";
  const Matrix m = known_matrix();
  render_heatmap(m, kSrc, kTgt, path, ImageFormat::kPng, opts);
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  const auto g = heatmap_geometry(3, 4, kSrc, kTgt, opts);
  EXPECT_EQ(cairo_image_surface_get_width(s), g.width);
  EXPECT_EQ(cairo_image_surface_get_height(s), g.height);
  EXPECT_GE(g.cell, 6);
  EXPECT_GT(g.width, 4 * g.cell);
  EXPECT_LT(g.width, 1000);
  // Each cell centre has the viridis colour of its weight; equal weights give equal pixels and
  // different weights different ones.
  for (size_t r = 0; r < m.size(); ++r) {
    for (size_t c = 0; c < m[r].size(); ++c) {
      const int x = static_cast<int>(g.matrix_x + (c + 0.5) * g.cell);
      const int y = static_cast<int>(g.matrix_y + (r + 0.5) * g.cell);
      double rr, gg, bb;
      viridis(m[r][c], &rr, &gg, &bb);
      const auto p = pixel(s, x, y);
      EXPECT_NEAR(p[0], rr * 255, 2) << r << "," << c;
      EXPECT_NEAR(p[1], gg * 255, 2) << r << "," << c;
      EXPECT_NEAR(p[2], bb * 255, 2) << r << "," << c;
    }
  }
  auto centre = [&](int r, int c) {
    return pixel(s, static_cast<int>(g.matrix_x + (c + 0.5) * g.cell),
                 static_cast<int>(g.matrix_y + (r + 0.5) * g.cell));
  };
  EXPECT_EQ(centre(0, 0), centre(1, 1));  // both 0.9
  EXPECT_EQ(centre(1, 0), centre(2, 0));  // both 0.0
  EXPECT_NE(centre(0, 0), centre(0, 1));  // 0.9 vs 0.05
  EXPECT_NE(centre(0, 1), centre(0, 3));  // 0.05 vs 0.0
  cairo_surface_destroy(s);
  EXPECT_LT(std::filesystem::file_size(path), 60000u);  // small PNGs
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::remove(path.c_str());
}

TEST(Heatmap, LongerLabelsWidenTheMargin) {
  const auto a = heatmap_geometry(3, 4, kSrc, kTgt);
  const auto b = heatmap_geometry(3, 4, kSrc, {"A", "a-much-longer-target-label", "runs"});
  EXPECT_GT(b.matrix_x, a.matrix_x);
  EXPECT_GT(b.width, a.width);
  EXPECT_EQ(a.cell, b.cell);
}

TEST(Heatmap, SvgIsWellFormedXmlAndPdfIsPdf) {
  const std::string svg = temp_path("m.svg");
  const std::string pdf = temp_path("m.pdf");
  HeatmapOptions opts;
  opts.title = "caf\u00e9 <&> \"quoted\"";  // characters that need escaping in XML
  render_heatmap(known_matrix(), kSrc, kTgt, svg, ImageFormat::kSvg, opts);
  render_heatmap(known_matrix(), kSrc, kTgt, pdf, ImageFormat::kPdf, opts);
  const std::string text = slurp(svg);
  EXPECT_EQ(text.rfind("<?xml", 0), 0u);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  std::string why;
  EXPECT_TRUE(xml_tags_balance(text, &why)) << why;
  EXPECT_EQ(slurp(pdf).rfind("%PDF", 0), 0u);
  std::remove(svg.c_str());
  std::remove(pdf.c_str());
}

TEST(Heatmap, GridOfHeadsIsLargerThanOnePanel) {
  const std::string one = temp_path("one.png");
  const std::string grid = temp_path("grid.png");
  const Matrix m = known_matrix();
  render_heatmap(m, kSrc, kTgt, one, ImageFormat::kPng);
  render_heatmap_grid({m, m, m, m}, {"head 0", "head 1", "head 2", "head 3"}, kSrc, kTgt, grid,
                      ImageFormat::kPng);
  cairo_surface_t* a = cairo_image_surface_create_from_png(one.c_str());
  cairo_surface_t* b = cairo_image_surface_create_from_png(grid.c_str());
  ASSERT_EQ(cairo_surface_status(b), CAIRO_STATUS_SUCCESS);
  EXPECT_GT(cairo_image_surface_get_width(b), cairo_image_surface_get_width(a));
  EXPECT_GT(cairo_image_surface_get_height(b), cairo_image_surface_get_height(a));
  cairo_surface_destroy(a);
  cairo_surface_destroy(b);
  std::remove(one.c_str());
  std::remove(grid.c_str());
}

TEST(Heatmap, ShapeMismatchThrows) {
  EXPECT_THROW(render_heatmap(known_matrix(), {"a"}, kTgt, temp_path("x.png"), ImageFormat::kPng),
               std::invalid_argument);
  EXPECT_THROW(render_heatmap({}, {}, {}, temp_path("x.png"), ImageFormat::kPng),
               std::invalid_argument);
  EXPECT_THROW(parse_image_format("gif"), std::invalid_argument);
  EXPECT_THROW(
      render_heatmap(known_matrix(), kSrc, kTgt, "/nonexistent-dir/x.png", ImageFormat::kPng),
      std::runtime_error);
}

TEST(Heatmap, TextShadesFollowTheWeights) {
  const std::string t = render_heatmap_text(known_matrix(), kSrc, kTgt);
  std::vector<std::string> lines;
  std::stringstream ss(t);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  // source line, column numbers, then the 3 target rows.
  ASSERT_GE(lines.size(), 5u);
  EXPECT_NE(lines[0].find("1:M\u00e4dchen"), std::string::npos);
  const std::string full = "\u2588\u2588";  // 0.9 rounds to the darkest shade
  EXPECT_NE(lines[2].find("   A \u2502" + full + "      \u2502 Ein 0.90"), std::string::npos)
      << lines[2];
  EXPECT_NE(lines[3].find("girl \u2502  " + full + "    \u2502"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("runs \u2502    " + full + "  \u2502"), std::string::npos) << lines[4];
  EXPECT_NE(lines[4].find("l\u00e4uft 0.90"), std::string::npos) << lines[4];
}

TEST(Heatmap, MeanMatrix) {
  const Matrix a = {{1.0f, 0.0f}}, b = {{0.0f, 1.0f}};
  const Matrix m = mean_matrix({a, b});
  EXPECT_FLOAT_EQ(m[0][0], 0.5f);
  EXPECT_FLOAT_EQ(m[0][1], 0.5f);
  EXPECT_THROW(mean_matrix({a, {{1.0f}}}), std::invalid_argument);
}

TEST(Curves, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 1000, 5), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  const auto t = nice_ticks(2.3, 7.9, 5);
  EXPECT_LE(t.front(), 2.3);
  EXPECT_GE(t.back(), 7.9);
  EXPECT_GE(t.size(), 2u);
  const auto flat = nice_ticks(3, 3);
  EXPECT_LT(flat.front(), 3);
  EXPECT_GT(flat.back(), 3);
}

TEST(Curves, WritesAPngWithBothPanels) {
  const std::string path = temp_path("curves.png");
  std::vector<CurvePoint> pts;
  for (int s = 0; s <= 1000; s += 100) {
    CurvePoint p;
    p.step = s;
    p.train_loss = 6.0 * std::exp(-s / 400.0) + 1.0;
    if (s % 500 == 0 && s > 0) p.val_bleu = s / 50.0;
    pts.push_back(p);
  }
  render_curves(pts, path, "toy run");
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(s), 720);
  EXPECT_EQ(cairo_image_surface_get_height(s), 560);
  // The loss curve is blue-ish: some pixel in the top half has b >> r.
  int blue = 0, orange = 0;
  for (int y = 0; y < 560; ++y)
    for (int x = 0; x < 720; x += 2) {
      const auto p = pixel(s, x, y);
      if (y < 280 && p[2] > 150 && p[0] < 90) ++blue;
      if (y >= 280 && p[0] > 180 && p[2] < 60) ++orange;
    }
  EXPECT_GT(blue, 50);
  EXPECT_GT(orange, 20);
  cairo_surface_destroy(s);
  // No points at all still gives an image ("no data").
  render_curves({}, path);
  EXPECT_TRUE(std::filesystem::exists(path));
  std::remove(path.c_str());
}

}  // namespace
