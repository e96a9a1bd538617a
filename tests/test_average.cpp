// Checkpoint averaging (run/average.h): the average of two checkpoints is the hand-computed mean
// of their weights; mismatched checkpoints are refused naming both files; the last N numbered
// checkpoints of a run are found, and a run's averaged checkpoint still translates like its own.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "config/config.h"
#include "decode/translator.h"
#include "models/seq2seq.h"
#include "run/average.h"
#include "run/checkpoint.h"
#include "run/load_model.h"
#include "tiny_configs.h"
#include "tiny_runs.h"
#include "train/trainer.h"
#include "util/process.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

// A checkpoint of a tiny Transformer with weights from `seed`, d_model `d`.
std::shared_ptr<Seq2SeqImpl> write_model(const std::string& path, uint64_t seed, int64_t d) {
  Config c;
  c.model = test_configs::tiny_transformer(d, 2 * d, 1, 2);
  torch::manual_seed(seed);
  auto m = make_seq2seq(c.model, 20, 20);
  TrainState s;
  s.src_vocab = s.tgt_vocab = 20;
  s.step = static_cast<int64_t>(seed);
  save_checkpoint(path, *m, nullptr, s, to_yaml_string(c));
  return m;
}

TEST(Average, TwoCheckpointsGiveTheMeanOfTheirWeights) {
  TempDir dir;
  const std::string a = dir.path() + "/a.ckpt", b = dir.path() + "/b.ckpt";
  const std::string out = dir.path() + "/avg.ckpt";
  auto ma = write_model(a, 1, 16);
  auto mb = write_model(b, 2, 16);
  average_checkpoints({a, b}, out);
  auto avg = make_seq2seq(test_configs::tiny_transformer(16, 32, 1, 2), 20, 20);
  const auto info = load_checkpoint(out, *avg, nullptr, torch::kCPU, false);
  EXPECT_EQ(info.state.step, 2);  // the last checkpoint's state
  auto pa = ma->named_parameters(), pb = mb->named_parameters();
  int64_t checked = 0, differing = 0;
  for (const auto& p : avg->named_parameters()) {
    const auto want = (pa[p.key()] + pb[p.key()]) / 2;
    EXPECT_TRUE(torch::allclose(p.value(), want, 1e-6, 1e-7)) << p.key();
    differing += !torch::equal(pa[p.key()], pb[p.key()]);
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_GT(differing, 10);  // the two models differ, so the mean is not one of them
}

TEST(Average, RefusesCheckpointsOfAnotherShapeNamingBoth) {
  TempDir dir;
  const std::string a = dir.path() + "/small.ckpt", b = dir.path() + "/large.ckpt";
  write_model(a, 1, 16);
  write_model(b, 2, 32);
  try {
    average_checkpoints({a, b}, dir.path() + "/x.ckpt");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("small.ckpt"), std::string::npos) << msg;
    EXPECT_NE(msg.find("large.ckpt"), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(dir.path() + "/x.ckpt"));
  EXPECT_THROW(average_checkpoints({}, dir.path() + "/x.ckpt"), std::invalid_argument);
}

TEST(Average, ARunsLastCheckpointsAreFoundAndTheirAverageLoadsForTranslation) {
  Config c = test_runs::tiny_config("tinynmt_average_run", 30);
  c.training.keep_checkpoints = 3;
  fs::remove_all(c.run.dir);
  ASSERT_EQ(train(c).steps, 30);
  const auto last = last_step_checkpoints(c.run.dir, 3);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(fs::path(last.back()).filename(), "step_30.ckpt");
  EXPECT_EQ(fs::path(last.front()).filename(), "step_20.ckpt");
  EXPECT_THROW(last_step_checkpoints(c.run.dir, 4), std::runtime_error);
  const std::string out = c.run.dir + "/averaged.ckpt";
  average_checkpoints(last, out);
  const std::vector<std::string> lines = {"a b c d", "p o n m l"};
  for (const std::string which : {"last", "averaged"}) {
    LoadedModel m = load_model(c.run.dir, which == "last" ? "last" : out, "cpu");
    const auto t = decode::Translator(m, {}).translate(lines);
    ASSERT_EQ(t.size(), 2u) << which;
    EXPECT_FALSE(t[0].hypotheses.empty()) << which;
  }
  fs::remove_all(c.run.dir);
}

}  // namespace
}  // namespace tinynmt
