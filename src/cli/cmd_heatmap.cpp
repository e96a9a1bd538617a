// `tinynmt heatmap`: renders attention matrices from the JSON Lines written by `translate
// --attention` or `align` as PNG/SVG/PDF heatmaps (or shaded text in the terminal).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/heatmap.h"
#include "align/record_writer.h"
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

int run(const HeatmapArgs& a) {
  if (a.level != "word" && a.level != "subword") {
    throw UsageError(fmt::format("heatmap: --level '{}' (choices: word, subword)", a.level));
  }
  const bool text = a.format == "text";
  if (!text) {
    try {
      align::parse_image_format(a.format);
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

  align::RecordWriterOptions opts;
  opts.level = a.level;
  opts.layer = a.layer;
  opts.head = a.head;
  opts.image = a.format;
  opts.vmax = a.vmax;
  opts.listing = &std::cout;
  opts.warnings = &std::cerr;
  auto writer = align::make_record_writer("heatmap", a.out, opts);
  for (const auto* rec : chosen) {
    try {
      writer->write(*rec);
    } catch (const align::SelectionError& e) {  // a bad --layer/--head for this file
      throw UsageError(fmt::format("heatmap: --{}", e.what()));
    }
  }
  writer->close();
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
