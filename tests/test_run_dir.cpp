// The run directory's file names (run/run_dir.h): the names themselves, step numbers read back,
// and a real training run whose directory holds exactly the files RunDir names.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "run/run_dir.h"
#include "tiny_runs.h"
#include "train/trainer.h"

using namespace tinynmt;
namespace fs = std::filesystem;

TEST(RunDir, NamesTheFilesOfARun) {
  const RunDir d{"runs/demo"};
  EXPECT_EQ(d.config_file(), "runs/demo/config.yaml");
  EXPECT_EQ(d.metrics_file(), "runs/demo/metrics.jsonl");
  EXPECT_EQ(d.curves_image(), "runs/demo/curves.png");
  EXPECT_EQ(d.last_checkpoint(), "runs/demo/last.ckpt");
  EXPECT_EQ(d.best_checkpoint(), "runs/demo/best.ckpt");
  EXPECT_EQ(d.lock_file(), "runs/demo/.lock");
  EXPECT_EQ(d.step_checkpoint(12), "runs/demo/step_12.ckpt");
  EXPECT_EQ(d.alignment_layer_checkpoint(), "runs/demo/alignment_layer.ckpt");
  EXPECT_EQ(d.joint_spm_model(), "runs/demo/spm.model");
  EXPECT_EQ(d.src_spm_model(), "runs/demo/spm.src.model");
  EXPECT_EQ(d.tgt_spm_model(), "runs/demo/spm.tgt.model");
  // A trailing separator is joined as std::filesystem::path joins it.
  EXPECT_EQ(RunDir{"runs/demo/"}.last_checkpoint(), "runs/demo/last.ckpt");
}

TEST(RunDir, StepOfCheckpointReadsBackStepCheckpointNames) {
  const RunDir d{"r"};
  for (int64_t step : {0, 5, 123456}) {
    const std::string name = fs::path(d.step_checkpoint(step)).filename().string();
    EXPECT_EQ(RunDir::step_of_checkpoint(name), step) << name;
  }
  EXPECT_EQ(RunDir::step_of_checkpoint("last.ckpt"), std::nullopt);
  EXPECT_EQ(RunDir::step_of_checkpoint("best.ckpt"), std::nullopt);
  EXPECT_EQ(RunDir::step_of_checkpoint("step_5.ckpt.tmp"), std::nullopt);
  EXPECT_EQ(RunDir::step_of_checkpoint("step_5.yaml"), std::nullopt);
  EXPECT_THROW(RunDir::step_of_checkpoint("step_x.ckpt"), std::invalid_argument);
}

// The trainer writes its files under RunDir's names: every file a run leaves is one RunDir
// names (SentencePiece's .vocab listing next to its model aside), and every name it has for a
// training run is there.
TEST(RunDir, NamesEveryFileTheTrainerWrites) {
  Config c = test_runs::tiny_config("tinynmt_run_dir_names", 5);
  fs::remove_all(c.run.dir);
  ASSERT_EQ(train(c).steps, 5);
  const RunDir d{c.run.dir};
  const std::set<std::string> named = {
      d.config_file(),     d.metrics_file(),     d.curves_image(),    d.last_checkpoint(),
      d.best_checkpoint(), d.step_checkpoint(5), d.joint_spm_model(), d.lock_file(),
      d.report_page(),     d.report_attention()};
  for (const auto& f : named) EXPECT_TRUE(fs::is_regular_file(f)) << f;
  for (const auto& e : fs::directory_iterator(c.run.dir)) {
    const std::string f = e.path().string();
    if (e.path().extension() == ".vocab") continue;
    EXPECT_TRUE(named.count(f)) << f << " is not a file RunDir names";
  }
  fs::remove_all(c.run.dir);
}
