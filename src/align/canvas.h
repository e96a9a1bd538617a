// A cairo drawing surface that writes PNG, SVG or PDF; shared by heatmaps and training curves.
// The file is written to PATH.tmp and renamed on finish(), so a reader never sees half a file.
#pragma once

#include <cairo.h>

#include <string>

namespace tinynmt::align {

enum class ImageFormat { kPng, kSvg, kPdf };

/// "png" | "svg" | "pdf" (case-sensitive). Throws std::invalid_argument listing the choices.
ImageFormat parse_image_format(const std::string& name);

/// "png", "svg" or "pdf".
const char* image_extension(ImageFormat fmt);

/// The format named by a path's extension (.png/.svg/.pdf); anything else is PNG.
ImageFormat image_format_of_path(const std::string& path);

class Canvas {
 public:
  /// width/height in pixels (PNG) or points (SVG/PDF). Throws std::runtime_error naming the path
  /// when the surface cannot be created.
  Canvas(const std::string& path, ImageFormat fmt, int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() { return cr_; }
  int width() const { return width_; }
  int height() const { return height_; }

  /// Writes the file. Throws std::runtime_error naming the path and cairo's status on failure.
  void finish();

 private:
  std::string path_, tmp_path_;
  ImageFormat fmt_;
  int width_, height_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  bool finished_ = false;
};

/// Horizontal advance of `text` in the current font of `cr`.
double text_width(cairo_t* cr, const std::string& text);

/// Sets the toy font (family, size, bold or not).
void set_font(cairo_t* cr, const std::string& family, double size, bool bold = false);

}  // namespace tinynmt::align
