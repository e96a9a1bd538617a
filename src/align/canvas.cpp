#include "align/canvas.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

namespace tinynmt::align {

ImageFormat parse_image_format(const std::string& name) {
  if (name == "png") return ImageFormat::kPng;
  if (name == "svg") return ImageFormat::kSvg;
  if (name == "pdf") return ImageFormat::kPdf;
  throw std::invalid_argument(
      fmt::format("unknown image format '{}' (choices: png, svg, pdf)", name));
}

const char* image_extension(ImageFormat fmt) {
  switch (fmt) {
    case ImageFormat::kSvg:
      return "svg";
    case ImageFormat::kPdf:
      return "pdf";
    default:
      return "png";
  }
}

ImageFormat image_format_of_path(const std::string& path) {
  auto dot = path.rfind('.');
  if (dot == std::string::npos) return ImageFormat::kPng;
  const std::string ext = path.substr(dot + 1);
  if (ext == "svg") return ImageFormat::kSvg;
  if (ext == "pdf") return ImageFormat::kPdf;
  return ImageFormat::kPng;
}

Canvas::Canvas(const std::string& path, ImageFormat fmt, int width, int height)
    : path_(path), tmp_path_(path + ".tmp"), fmt_(fmt), width_(width), height_(height) {
  switch (fmt) {
    case ImageFormat::kPng:
      // RGB24 (no alpha channel) keeps the PNG small.
      surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
      break;
    case ImageFormat::kSvg:
      surface_ = cairo_svg_surface_create(tmp_path_.c_str(), width, height);
      break;
    case ImageFormat::kPdf:
      surface_ = cairo_pdf_surface_create(tmp_path_.c_str(), width, height);
      break;
  }
  if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS) {
    std::string why = cairo_status_to_string(cairo_surface_status(surface_));
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    std::remove(tmp_path_.c_str());
    throw std::runtime_error(fmt::format("{}: cannot create image ({})", path, why));
  }
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  if (cr_) cairo_destroy(cr_);
  if (surface_) cairo_surface_destroy(surface_);
  if (!finished_) std::remove(tmp_path_.c_str());
}

void Canvas::finish() {
  cairo_status_t st = cairo_status(cr_);
  if (st == CAIRO_STATUS_SUCCESS) {
    if (fmt_ == ImageFormat::kPng) {
      cairo_surface_flush(surface_);
      st = cairo_surface_write_to_png(surface_, tmp_path_.c_str());
    } else {
      cairo_surface_finish(surface_);
      st = cairo_surface_status(surface_);
    }
  }
  if (st != CAIRO_STATUS_SUCCESS) {
    std::remove(tmp_path_.c_str());
    throw std::runtime_error(
        fmt::format("{}: cannot write image ({})", path_, cairo_status_to_string(st)));
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_path_.c_str());
    throw std::runtime_error(fmt::format("{}: cannot move the finished image into place", path_));
  }
  finished_ = true;
}

double text_width(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t ext;
  cairo_text_extents(cr, text.c_str(), &ext);
  return ext.x_advance;
}

void set_font(cairo_t* cr, const std::string& family, double size, bool bold) {
  cairo_select_font_face(cr, family.c_str(), CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

}  // namespace tinynmt::align
