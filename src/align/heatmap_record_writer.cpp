// The heatmap writer: one image (or a grid of all heads) per attention record, or shaded text.
#include <fmt/format.h>

#include <filesystem>
#include <ostream>
#include <stdexcept>

#include "align/heatmap.h"
#include "align/record_writer.h"
#include "align/selection.h"

namespace tinynmt::align {
namespace {

// The mean of the matrices a layer and head choice picks (heatmaps divide by the count).
Matrix select(const LayerHeadMatrices& m, int layer, int head) {
  return mean_of(select_matrices(m, layer, head), MeanRounding::kDivide);
}

class HeatmapWriter : public RecordWriter {
 public:
  HeatmapWriter(std::string dir, const RecordWriterOptions& o)
      : dir_(std::move(dir)), o_(o), text_(o.image == "text") {
    if (!o_.listing || !o_.warnings)
      throw std::invalid_argument("heatmap writer: listing and warnings streams are required");
    if (!text_) format_ = parse_image_format(o_.image);
  }

  void write(const AttentionRecord& rec) override {
    const bool word = o_.level == "word";
    const auto& mats = word ? rec.word : rec.subword;
    const auto& src = word ? rec.src_words : rec.src_tokens;
    const auto& tgt = word ? rec.tgt_words : rec.tgt_tokens;
    if (src.empty() || tgt.empty()) {
      *o_.warnings << fmt::format("warning: sentence {} has no {} tokens; skipped\n", rec.index,
                                  o_.level);
      return;
    }
    const int layer = o_.layer == "last" ? rec.layers - 1
                                         : parse_selection(o_.layer, rec.layers, "layer", "file");
    const std::string layer_name = layer == kMeanOf ? "mean" : std::to_string(layer);
    HeatmapOptions opts;
    opts.vmax = o_.vmax;
    const std::string base =
        fmt::format("sentence {} | {} | layer {} | {} level", rec.index,
                    rec.model.empty() ? "model" : rec.model, layer_name, o_.level);
    const std::string stem = fmt::format("sent{:04d}_{}_L{}", rec.index, o_.level, layer_name);
    if (o_.head == "grid") {
      std::vector<Matrix> panels;
      std::vector<std::string> titles;
      for (int h = 0; h < rec.heads; ++h) {
        panels.push_back(select(mats, layer, h));
        titles.push_back(fmt::format("head {}", h));
      }
      opts.title = base + " | all heads";
      if (text_) {
        for (size_t h = 0; h < panels.size(); ++h) {
          opts.title = fmt::format("{} | head {}", base, h);
          *o_.listing << render_heatmap_text(panels[h], src, tgt, opts) << "\n";
        }
      } else {
        const std::string path = image_path(stem + "_grid.");
        render_heatmap_grid(panels, titles, src, tgt, path, format_, opts);
        *o_.listing << path << "\n";
        ++written_;
      }
      return;
    }
    const int head = parse_selection(o_.head, rec.heads, "head", "file");
    const std::string head_name = head == kMeanOf ? "mean" : std::to_string(head);
    const Matrix m = select(mats, layer, head);
    opts.title = fmt::format("{} | head {}", base, head_name);
    if (text_) {
      *o_.listing << render_heatmap_text(m, src, tgt, opts) << "\n";
    } else {
      const std::string path = image_path(stem + "_H" + head_name + ".");
      render_heatmap(m, src, tgt, path, format_, opts);
      *o_.listing << path << "\n";
      ++written_;
    }
  }

  void close() override {
    if (!text_) *o_.warnings << fmt::format("wrote {} heatmap(s) to {}\n", written_, dir_);
  }

 private:
  std::string image_path(const std::string& stem_dot) const {
    return (std::filesystem::path(dir_) / (stem_dot + image_extension(format_))).string();
  }

  std::string dir_;
  RecordWriterOptions o_;
  bool text_;
  ImageFormat format_ = ImageFormat::kPng;
  int written_ = 0;
};

}  // namespace

std::unique_ptr<RecordWriter> make_heatmap_writer(const std::string& dir,
                                                  const RecordWriterOptions& options) {
  return std::make_unique<HeatmapWriter>(dir, options);
}

}  // namespace tinynmt::align
