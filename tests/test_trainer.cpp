// The training loop end to end on a tiny copy task made here: files written, the same seed gives
// the same run, resume equals an uninterrupted run, a stop signal saves `last`, a NaN stops the
// run and keeps the checkpoint.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "config/config.h"
#include "run/checkpoint.h"
#include "tiny_runs.h"
#include "train/trainer.h"

using namespace tinynmt;
using test_runs::tiny_config;
using test_runs::train_losses;
namespace fs = std::filesystem;

TEST(Trainer, WritesMetricsCheckpointsAndResolvedConfig) {
  Config c = tiny_config("tinynmt_trainer_smoke", 8);
  fs::remove_all(c.run.dir);
  TrainResult r = train(c);
  EXPECT_EQ(r.outcome, TrainOutcome::kFinished);
  EXPECT_EQ(r.steps, 8);
  for (const char* f : {"metrics.jsonl", "last.ckpt", "best.ckpt", "config.yaml", "spm.model",
                        "curves.png", "step_5.ckpt", "step_8.ckpt"})
    EXPECT_TRUE(fs::exists(fs::path(c.run.dir) / f)) << f;
  auto losses = train_losses(c.run.dir);
  EXPECT_EQ(losses.size(), 8u);
  // Every record has a step; validation records carry BLEU and chrF.
  std::ifstream in(fs::path(c.run.dir) / "metrics.jsonl");
  int valid = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("step"));
    if (j["type"] == "valid") {
      ++valid;
      EXPECT_TRUE(j.contains("bleu") && j.contains("chrf") && j.contains("ppl"));
    }
  }
  EXPECT_EQ(valid, 2);  // steps 5 and 8 (the last step)
  // The resolved config parses back to the same run.
  Config back = load_config((fs::path(c.run.dir) / "config.yaml").string());
  EXPECT_EQ(back.model.encoder.d_model, 32);
  EXPECT_EQ(read_checkpoint_info((fs::path(c.run.dir) / "last.ckpt").string()).state.step, 8);
}

namespace {

// Every metrics.jsonl record without its timings (elapsed_s, seconds, tokens_per_s).
std::vector<nlohmann::json> untimed_records(const std::string& run_dir) {
  std::vector<nlohmann::json> records;
  std::ifstream in(fs::path(run_dir) / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    for (const char* timing : {"elapsed_s", "seconds", "tokens_per_s"}) j.erase(timing);
    records.push_back(j);
  }
  return records;
}

}  // namespace

TEST(Trainer, SameSeedGivesIdenticalMetrics) {
  Config c = tiny_config("tinynmt_trainer_repeat", 10);
  fs::remove_all(c.run.dir);
  train(c);
  auto first = untimed_records(c.run.dir);
  fs::remove_all(c.run.dir);
  train(c);
  auto second = untimed_records(c.run.dir);
  // 10 train records, validations at steps 5 and 10, and why the run stopped
  ASSERT_EQ(first.size(), 13u);
  EXPECT_EQ(first.back()["type"], "stop");
  EXPECT_EQ(first.back()["reason"], "max_steps");
  EXPECT_EQ(first.back()["planned_steps"], 10);
  EXPECT_EQ(first.back()["time_capped"], false);
  ASSERT_EQ(second.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].dump(), second[i].dump()) << "record " << i;  // losses bit for bit
  }
}

TEST(Trainer, ResumedRunMatchesUninterruptedRun) {
  Config full = tiny_config("tinynmt_trainer_full", 12);
  fs::remove_all(full.run.dir);
  train(full);
  Config part = tiny_config("tinynmt_trainer_part", 7);
  fs::remove_all(part.run.dir);
  train(part);
  part.training.max_steps = 12;  // rerun the same run directory with a larger budget
  TrainResult r = train(part);
  EXPECT_EQ(r.steps, 12);
  auto a = train_losses(full.run.dir), b = train_losses(part.run.dir);
  ASSERT_TRUE(a.count(12) && b.count(12));
  for (int64_t s = 8; s <= 12; ++s) EXPECT_NEAR(a[s], b[s], 1e-6) << "step " << s;
}

TEST(Trainer, StopSignalSavesLastCheckpoint) {
  install_stop_handlers();
  std::raise(SIGINT);  // the handler only records the signal
  EXPECT_EQ(stop_signal().load(), SIGINT);
  Config c = tiny_config("tinynmt_trainer_sigint", 50);
  fs::remove_all(c.run.dir);
  TrainResult r = train(c);  // finishes the current step, saves, returns
  stop_signal().store(0);
  EXPECT_EQ(r.outcome, TrainOutcome::kInterrupted);
  EXPECT_EQ(r.steps, 1);
  EXPECT_NE(r.message.find("--resume"), std::string::npos) << r.message;
  EXPECT_EQ(read_checkpoint_info((fs::path(c.run.dir) / "last.ckpt").string()).state.step, 1);
}

TEST(Trainer, NanLossStopsAndKeepsLastGoodCheckpoint) {
  Config c = tiny_config("tinynmt_trainer_nan", 5);
  fs::remove_all(c.run.dir);
  train(c);  // a good run to step 5 with last.ckpt
  c.training.max_steps = 20;
  setenv("TINYNMT_TEST_NAN_STEP", "8", 1);
  TrainResult r = train(c);
  unsetenv("TINYNMT_TEST_NAN_STEP");
  EXPECT_EQ(r.outcome, TrainOutcome::kDiverged);
  EXPECT_NE(r.message.find("step 8"), std::string::npos) << r.message;
  EXPECT_EQ(read_checkpoint_info((fs::path(c.run.dir) / "last.ckpt").string()).state.step, 5);
}
