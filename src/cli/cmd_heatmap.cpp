// `tinynmt heatmap`: renders attention matrices from the JSON Lines written by `translate
// --attention` or `align` as PNG/SVG/PDF heatmaps (or shaded text in the terminal).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/heatmap.h"
#include "align/selection.h"
#include "cli/commands.h"

namespace tinynmt::cli {
namespace {

struct HeatmapArgs {
  std::string attention;
  std::string sentence = "all";
  std::string layer = "last";
  std::string head = "mean";
  std::string level = "word";
  std::string format = "png";
  std::string out;
  double vmax = 1.0;
};

// A layer or head choice of the file's records (align::parse_selection); a bad one is a usage
// error. Returns an index or align::kMeanOf.
int parse_choice(const std::string& s, int n, const char* what) {
  try {
    return align::parse_selection(s, n, what, "file");
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("heatmap: --{}", e.what()));
  }
}

// The mean of the matrices a layer and head choice picks (heatmaps divide by the count).
align::Matrix select(const align::LayerHeadMatrices& m, int layer, int head) {
  return align::mean_of(align::select_matrices(m, layer, head), align::MeanRounding::kDivide);
}

int run(const HeatmapArgs& a) {
  if (a.level != "word" && a.level != "subword") {
    throw UsageError(fmt::format("heatmap: --level '{}' (choices: word, subword)", a.level));
  }
  const bool text = a.format == "text";
  align::ImageFormat fmt = align::ImageFormat::kPng;
  if (!text) {
    try {
      fmt = align::parse_image_format(a.format);
    } catch (const std::invalid_argument&) {
      throw UsageError(
          fmt::format("heatmap: --format '{}' (choices: png, svg, pdf, text)", a.format));
    }
    if (a.out.empty()) throw UsageError("heatmap: --out DIR is required for image formats");
  }
  const auto records = align::read_attention_jsonl(a.attention);
  if (records.empty()) throw std::runtime_error(fmt::format("{}: no records", a.attention));

  std::vector<const align::AttentionRecord*> chosen;
  if (a.sentence == "all") {
    for (const auto& r : records) chosen.push_back(&r);
  } else {
    int64_t want = 0;
    try {
      size_t used = 0;
      want = std::stoll(a.sentence, &used);
      if (used != a.sentence.size()) throw std::invalid_argument(a.sentence);
    } catch (const std::exception&) {
      throw UsageError(
          fmt::format("heatmap: --sentence '{}' (a sentence index or 'all')", a.sentence));
    }
    for (const auto& r : records)
      if (r.index == want) chosen.push_back(&r);
    if (chosen.empty()) {
      throw UsageError(fmt::format("heatmap: sentence {} is not in {} (indices {}..{})", want,
                                   a.attention, records.front().index, records.back().index));
    }
  }
  if (!a.out.empty()) std::filesystem::create_directories(a.out);

  int written = 0;
  for (const auto* rec : chosen) {
    const bool word = a.level == "word";
    const auto& mats = word ? rec->word : rec->subword;
    const auto& src = word ? rec->src_words : rec->src_tokens;
    const auto& tgt = word ? rec->tgt_words : rec->tgt_tokens;
    if (src.empty() || tgt.empty()) {
      std::cerr << fmt::format("warning: sentence {} has no {} tokens; skipped\n", rec->index,
                               a.level);
      continue;
    }
    const int layer =
        a.layer == "last" ? rec->layers - 1 : parse_choice(a.layer, rec->layers, "layer");
    const std::string layer_name = layer == align::kMeanOf ? "mean" : std::to_string(layer);
    align::HeatmapOptions opts;
    opts.vmax = a.vmax;
    const std::string base =
        fmt::format("sentence {} | {} | layer {} | {} level", rec->index,
                    rec->model.empty() ? "model" : rec->model, layer_name, a.level);
    const std::string stem = fmt::format("sent{:04d}_{}_L{}", rec->index, a.level, layer_name);
    if (a.head == "grid") {
      std::vector<align::Matrix> panels;
      std::vector<std::string> titles;
      for (int h = 0; h < rec->heads; ++h) {
        panels.push_back(select(mats, layer, h));
        titles.push_back(fmt::format("head {}", h));
      }
      opts.title = base + " | all heads";
      if (text) {
        for (size_t h = 0; h < panels.size(); ++h) {
          opts.title = fmt::format("{} | head {}", base, h);
          std::cout << align::render_heatmap_text(panels[h], src, tgt, opts) << "\n";
        }
      } else {
        const std::string path =
            (std::filesystem::path(a.out) / (stem + "_grid." + align::image_extension(fmt)))
                .string();
        align::render_heatmap_grid(panels, titles, src, tgt, path, fmt, opts);
        std::cout << path << "\n";
        ++written;
      }
      continue;
    }
    const int head = parse_choice(a.head, rec->heads, "head");
    const std::string head_name = head == align::kMeanOf ? "mean" : std::to_string(head);
    const align::Matrix m = select(mats, layer, head);
    opts.title = fmt::format("{} | head {}", base, head_name);
    if (text) {
      std::cout << align::render_heatmap_text(m, src, tgt, opts) << "\n";
    } else {
      const std::string path = (std::filesystem::path(a.out) /
                                (stem + "_H" + head_name + "." + align::image_extension(fmt)))
                                   .string();
      align::render_heatmap(m, src, tgt, path, fmt, opts);
      std::cout << path << "\n";
      ++written;
    }
  }
  if (!text) std::cerr << fmt::format("wrote {} heatmap(s) to {}\n", written, a.out);
  return 0;
}

}  // namespace

Command add_heatmap_command(CLI::App& app) {
  auto args = std::make_shared<HeatmapArgs>();
  Command c;
  c.app = app.add_subcommand("heatmap", "render attention matrices as PNG/SVG/PDF or text");
  auto* sub = c.app;
  sub->add_option("--attention", args->attention,
                  "attention JSON Lines from 'translate --attention' or 'align'")
      ->required();
  sub->add_option("--sentence", args->sentence, "sentence index (the record's 'index') or 'all'")
      ->capture_default_str();
  sub->add_option("--layer", args->layer,
                  "decoder layer (0-based; negative counts from the end), 'last' or 'mean'")
      ->capture_default_str();
  sub->add_option("--head", args->head, "head index, 'mean', or 'grid' (all heads in one figure)")
      ->capture_default_str();
  sub->add_option("--level", args->level, "word or subword")->capture_default_str();
  sub->add_option("--format", args->format, "png, svg, pdf or text (text prints to stdout)")
      ->capture_default_str();
  sub->add_option("--out", args->out, "output directory (created if missing)");
  sub->add_option("--vmax", args->vmax,
                  "weight drawn with the brightest colour; 0 = the largest weight shown")
      ->capture_default_str();
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
