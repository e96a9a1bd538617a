// The bench report's JSON and table (bench/report.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "bench/report.h"

using namespace tinynmt::bench;

TEST(BenchReportJson, HasTheDocumentedFields) {
  BenchReport r;
  r.threads = 2;
  r.threads_bound = true;
  r.sgemm.n = 1024;
  r.sgemm.gflops = 100.0;
  ConfigReport ok;
  ok.config = "configs/a.yaml";
  ok.training.tokens_per_s = 1234.5;
  ok.training.model_gflops = 60.0;
  ok.training.pct_of_sgemm_peak = 60.0;
  ok.training.padding_ratio = 0.1;
  ok.training.peak_rss_mb = 900;
  ok.training.steps = 20;
  ok.decoding.measured = true;
  ok.decoding.weights = "untrained";
  ok.decoding.greedy.sentences_per_s = 150;
  ok.decoding.beam5.tokens_per_s = 800;
  ConfigReport no_decoding = ok;
  no_decoding.decoding.measured = false;
  ConfigReport bad;
  bad.config = "configs/missing.yaml";
  bad.error = "configs/missing.yaml: no such config file";
  r.configs = {ok, no_decoding, bad};

  // Through text, as a reader of the file gets it.
  auto j = nlohmann::json::parse(to_json(r).dump());
  ASSERT_TRUE(j.contains("machine"));
  EXPECT_EQ(j["machine"]["threads"], 2);
  EXPECT_TRUE(j["machine"]["threads_bound"].get<bool>());
  EXPECT_DOUBLE_EQ(j["machine"]["sgemm_gflops"].get<double>(), 100.0);
  ASSERT_EQ(j["configs"].size(), 3u);
  const auto& c = j["configs"][0];
  EXPECT_EQ(c["config"], "configs/a.yaml");
  for (const char* k : {"tokens_per_s", "model_gflops", "pct_of_sgemm_peak", "padding_ratio",
                        "peak_rss_mb", "steps"})
    EXPECT_TRUE(c["training"].contains(k) && c["training"][k].is_number()) << k;
  EXPECT_DOUBLE_EQ(c["training"]["tokens_per_s"].get<double>(), 1234.5);
  EXPECT_EQ(c["decoding"]["weights"], "untrained");
  for (const char* s : {"greedy", "beam5"})
    for (const char* k : {"sentences_per_s", "tokens_per_s"})
      EXPECT_TRUE(c["decoding"][s][k].is_number()) << s << " " << k;
  EXPECT_DOUBLE_EQ(c["decoding"]["greedy"]["sentences_per_s"].get<double>(), 150);
  EXPECT_DOUBLE_EQ(c["decoding"]["beam5"]["tokens_per_s"].get<double>(), 800);
  EXPECT_FALSE(j["configs"][1].contains("decoding"));
  EXPECT_TRUE(j["configs"][1].contains("training"));
  EXPECT_EQ(j["configs"][2]["error"], bad.error);
  EXPECT_FALSE(j["configs"][2].contains("training"));
  // The table names every config and shows the error.
  auto table = format_table(r);
  EXPECT_NE(table.find("missing"), std::string::npos);
  EXPECT_NE(table.find("no such config file"), std::string::npos);
}
