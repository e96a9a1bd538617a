// The training run's report page (train/run_report.h, align/curves_svg.h): curves read from
// metrics.jsonl, their SVG, and the page rebuilt from report_attention.jsonl with one snapshot
// per validation. A real training run writing it: tests/cli/attention_page.sh; the slider in a
// browser: tests/browser/attention_page.py.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "align/attention_page.h"
#include "align/curves_svg.h"
#include "temp_files.h"
#include "train/run_report.h"
#include "util/process.h"

namespace tinynmt {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CurvesSvg, OnePolylinePerSeriesWithDataAndEscapedTitles) {
  const std::string svg = align::curves_svg({{"loss <b>", {{1, 3.0}, {2, 2.0}, {3, 1.5}}},
                                             {"BLEU", {}},
                                             {"lr", {{1, 1e-4}, {2, std::nan("")}, {3, 2e-4}}}});
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, "no data yet"), 1u);
  EXPECT_NE(svg.find("loss &lt;b&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);  // the NaN point is skipped
}

TEST(RunReport, MetricsCurvesReadTrainingAndValidationRecords) {
  TempDir dir;
  const std::string path = dir.path() + "/metrics.jsonl";
  std::ofstream(path) << R"({"type":"train","step":50,"loss":4.0,"tokens_per_s":900,"lr":1e-4})"
                      << "\n\n"
                      << R"({"type":"valid","step":100,"loss":3.0,"bleu":12.5,"chrf":40})"
                      << "\n"
                      << R"({"type":"train","step":100,"loss":3.5,"tokens_per_s":950,"lr":2e-4})"
                      << "\n";
  const auto c = metrics_curves(path);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].title, "training loss");
  ASSERT_EQ(c[0].points.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].points[1].first, 100);
  EXPECT_DOUBLE_EQ(c[0].points[1].second, 3.5);
  ASSERT_EQ(c[4].points.size(), 1u);  // validation BLEU
  EXPECT_DOUBLE_EQ(c[4].points[0].second, 12.5);
  EXPECT_TRUE(metrics_curves(dir.path() + "/none.jsonl")[0].points.empty());
  std::ofstream(path, std::ios::app) << "{not json\n";
  try {
    metrics_curves(path);
    FAIL() << "no error for a malformed line";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:5"), std::string::npos) << e.what();
  }
}

// A record of one sentence: 2 source words, 1 target word, weights w and 1 - w.
align::AttentionRecord tiny_record(int64_t index, float w) {
  align::AttentionRecord r;
  r.index = index;
  r.model = "t";
  r.src_tokens = {"\u2581a", "\u2581b", "</s>"};
  r.tgt_tokens = {"\u2581c", "</s>"};
  r.src_words = {"a", "b"};
  r.tgt_words = {"c"};
  r.src_word_of_token = {0, 1, -1};
  r.tgt_word_of_token = {0, -1};
  r.layers = r.heads = 1;
  r.subword = {{{{w, 1 - w, 0}, {0, 0, 1}}}};
  align::fill_word_level(r);
  return r;
}

TEST(RunReport, PageHasOneSnapshotPerValidation) {
  TempDir dir;
  RunDir run{dir.path()};
  {
    std::ofstream out(run.report_attention());
    for (int64_t step : {10, 20})
      for (int64_t i : {0, 1}) {
        auto j = align::to_json(tiny_record(i, step == 10 ? 0.9f : 0.2f));
        j["step"] = step;
        out << j.dump() << "\n";
      }
  }
  write_run_report(run, "run t");
  std::ifstream in(run.report_page());
  std::stringstream html;
  html << in.rdbuf();
  const auto d = align::read_page_data(html.str());
  EXPECT_EQ(d["steps"], nlohmann::json::parse("[10, 20]"));
  ASSERT_EQ(d["sentences"].size(), 2u);
  const auto& snaps = d["sentences"][0]["snapshots"];
  ASSERT_EQ(snaps.size(), 2u);
  const auto first = align::decode_page_weights(snaps[0]["subword"].get<std::string>());
  const auto last = align::decode_page_weights(snaps[1]["subword"].get<std::string>());
  EXPECT_NEAR(first[0], 0.9, align::kPageWeightError + 1e-4);
  EXPECT_NEAR(last[0], 0.2, align::kPageWeightError + 1e-4);
  EXPECT_EQ(count(html.str(), "<svg"), 1u);  // the curves (metrics.jsonl absent: no data yet)
}

}  // namespace
}  // namespace tinynmt
