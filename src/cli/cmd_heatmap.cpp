// `tinynmt heatmap`: renders attention matrices from the JSON Lines written by `translate
// --attention` or `align` as PNG/SVG/PDF heatmaps (or shaded text in the terminal).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/heatmap.h"
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

// Parses an integer index in [-n, n) (negative counts from the end). Throws UsageError.
int parse_index(const std::string& s, int n, const char* what) {
  int v = 0;
  try {
    size_t used = 0;
    v = std::stoi(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("heatmap: --{} '{}' is not a number", what, s));
  }
  if (v < -n || v >= n) {
    throw UsageError(fmt::format("heatmap: --{} {} out of range (the file has {} {}s)", what, v,
                                 n, what));
  }
  return v < 0 ? v + n : v;
}

// The matrices of one head selection for one layer selection.
align::Matrix select(const align::LayerHeadMatrices& m, const std::vector<int>& layers, int head) {
  std::vector<align::Matrix> ms;
  for (int l : layers) {
    if (head >= 0) {
      ms.push_back(m[l][head]);
    } else {
      ms.insert(ms.end(), m[l].begin(), m[l].end());
    }
  }
  return align::mean_matrix(ms);
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
      throw UsageError(fmt::format("heatmap: --sentence '{}' (a sentence index or 'all')",
                                   a.sentence));
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
    std::vector<int> layers;
    std::string layer_name;
    if (a.layer == "mean") {
      for (int l = 0; l < rec->layers; ++l) layers.push_back(l);
      layer_name = "mean";
    } else {
      const int l = a.layer == "last" ? rec->layers - 1 : parse_index(a.layer, rec->layers, "layer");
      layers.push_back(l);
      layer_name = std::to_string(l);
    }
    align::HeatmapOptions opts;
    opts.vmax = a.vmax;
    const std::string base = fmt::format("sentence {} | {} | layer {} | {} level", rec->index,
                                         rec->model.empty() ? "model" : rec->model, layer_name,
                                         a.level);
    const std::string stem =
        fmt::format("sent{:04d}_{}_L{}", rec->index, a.level, layer_name);
    if (a.head == "grid") {
      std::vector<align::Matrix> panels;
      std::vector<std::string> titles;
      for (int h = 0; h < rec->heads; ++h) {
        panels.push_back(select(mats, layers, h));
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
    int head = -1;
    std::string head_name = "mean";
    if (a.head != "mean") {
      head = parse_index(a.head, rec->heads, "head");
      head_name = std::to_string(head);
    }
    const align::Matrix m = select(mats, layers, head);
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
