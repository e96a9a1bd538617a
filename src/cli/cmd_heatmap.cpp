// `tinynmt heatmap`: renders attention matrices from the JSON Lines written by `translate
// --attention` or `align` as PNG/SVG/PDF heatmaps, shaded text in the terminal, or one
// self-contained HTML page to explore them (align/attention_page.h), with gold links and AER.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/attention_page.h"
#include "align/heatmap.h"
#include "align/record_writer.h"
#include "align/selection.h"
#include "cli/commands.h"
#include "eval/aer.h"

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
  std::string gold;  // html: gold links, one line per sentence (record index = line number)
  bool one_based = false;
};

// The page's view of one record: its gold links and, when the record has a hard alignment, its
// AER. Adds the sentence's gold and prediction to `g`/`p` for the set's AER.
align::PageSentence page_sentence(const align::AttentionRecord& rec,
                                  const std::vector<eval::GoldAlignment>& gold,
                                  const std::string& gold_path, std::vector<eval::GoldAlignment>& g,
                                  std::vector<align::Alignment>& p) {
  align::PageSentence s;
  s.record = &rec;
  if (gold.empty()) return s;
  if (rec.index < 0 || rec.index >= static_cast<int64_t>(gold.size()))
    throw UsageError(fmt::format("heatmap: --gold {} has {} lines, so none for sentence {}",
                                 gold_path, gold.size(), rec.index));
  const auto& gl = gold[static_cast<size_t>(rec.index)];
  s.gold =
      align::PageGold{{gl.sure.begin(), gl.sure.end()}, {gl.possible.begin(), gl.possible.end()}};
  if (!rec.alignment.empty()) {
    g.push_back(gl);
    p.push_back(align::parse_pharaoh(rec.alignment));
    s.aer = eval::compute_aer({g.back()}, {p.back()}).aer;
  }
  return s;
}

int write_page(const HeatmapArgs& a, const std::vector<const align::AttentionRecord*>& chosen) {
  if (a.out.empty()) throw UsageError("heatmap: --out FILE is required for --format html");
  std::vector<eval::GoldAlignment> gold;
  if (!a.gold.empty()) gold = eval::read_gold_file(a.gold, a.one_based);
  std::vector<align::PageSentence> page;
  std::vector<eval::GoldAlignment> g;
  std::vector<align::Alignment> p;
  for (const auto* rec : chosen) page.push_back(page_sentence(*rec, gold, a.gold, g, p));
  align::PageOptions o;
  o.title =
      fmt::format("tinynmt attention: {} ({})",
                  std::filesystem::path(a.attention).filename().string(), chosen.front()->model);
  if (!p.empty()) o.set_aer = eval::compute_aer(g, p).aer;
  const auto parent = std::filesystem::path(a.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  align::write_attention_page(a.out, page, o);
  std::cout << fmt::format("wrote {} ({} sentences{})\n", a.out, page.size(),
                           o.set_aer ? fmt::format(", AER {:.1f}%", 100 * *o.set_aer) : "");
  return 0;
}

int run(const HeatmapArgs& a) {
  if (a.level != "word" && a.level != "subword") {
    throw UsageError(fmt::format("heatmap: --level '{}' (choices: word, subword)", a.level));
  }
  const bool text = a.format == "text", html = a.format == "html";
  if (!a.gold.empty() && !html) throw UsageError("heatmap: --gold needs --format html");
  if (!text && !html) {
    try {
      align::parse_image_format(a.format);
    } catch (const std::invalid_argument&) {
      throw UsageError(
          fmt::format("heatmap: --format '{}' (choices: png, svg, pdf, text, html)", a.format));
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
  if (html) return write_page(a, chosen);
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
  c.app = app.add_subcommand("heatmap",
                             "render attention matrices as PNG/SVG/PDF, text, or an HTML page");
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
  sub->add_option("--format", args->format,
                  "png, svg, pdf, text (printed to stdout) or html (one page to explore them all)")
      ->capture_default_str();
  sub->add_option("--out", args->out, "output directory (created if missing); html: the page file");
  sub->add_option("--gold", args->gold,
                  "html: gold word alignments, i-j (sure) and ipj (possible), one line per "
                  "sentence index; drawn with the record's alignment, with AER");
  sub->add_flag("--one-based", args->one_based, "html: --gold indices start at 1");
  sub->add_option("--vmax", args->vmax,
                  "weight drawn with the brightest colour; 0 = the largest weight shown")
      ->capture_default_str();
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace tinynmt::cli
