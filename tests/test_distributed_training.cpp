// Data-parallel training end to end through the binary: 2 ranks x 1 thread (--nproc 2) train
// the same parameters as 1 process on the same global batches (dropout off), and a run started
// with 2 ranks resumes with 1. Fault and launch cases are in tests/cli/distributed*.sh.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "checkpoint_weights.h"
#include "config/config.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "temp_files.h"
#include "tiny_runs.h"

using namespace tinynmt;
using tinynmt::test_files::slurp;
namespace fs = std::filesystem;

namespace {

// A tiny copy-task config without dropout with the given optimiser and learning rate, written as
// YAML; returns its path.
std::string write_config(const std::string& name, const std::string& optimizer = "adam",
                         double lr = 0.0) {
  Config c = test_runs::tiny_config(name, 6);
  c.model.encoder.dropout = c.model.decoder.dropout = 0.0;
  c.model.decoder.attention_dropout = 0.0;
  c.training.validate_every = 3;
  c.training.optimizer = optimizer;
  if (lr > 0) c.training.lr = lr;
  fs::path path = fs::temp_directory_path() / (name + ".yaml");
  std::ofstream(path) << to_yaml_string(c);
  return path.string();
}

// Runs the binary with `args` (stdout and stderr to `log`); returns its exit status.
int run_tinynmt(const std::string& args, const std::string& log) {
  std::string cmd = std::string(TINYNMT_BINARY) + " " + args + " >" + log + " 2>&1";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The parameters of RUN_DIR/last.ckpt, by name.
std::map<std::string, torch::Tensor> checkpoint_params(const std::string& run_dir,
                                                       const Config& cfg) {
  return test_runs::checkpoint_weights((fs::path(run_dir) / "last.ckpt").string(), cfg);
}

struct ParamDifference {
  double mean = 0, largest = 0;
};

// The mean and largest absolute difference between two runs' parameters.
ParamDifference param_difference(const std::string& run_a, const std::string& run_b,
                                 const Config& cfg) {
  auto a = checkpoint_params(run_a, cfg), b = checkpoint_params(run_b, cfg);
  EXPECT_EQ(a.size(), b.size());
  ParamDifference d;
  double sum = 0;
  int64_t n = 0;
  for (const auto& [name, t] : a) {
    if (!b.count(name)) {
      ADD_FAILURE() << "missing parameter " << name;
      continue;
    }
    torch::Tensor diff = (t - b[name]).abs();
    d.largest = std::max(d.largest, diff.max().item<double>());
    sum += diff.sum().item<double>();
    n += diff.numel();
  }
  d.mean = n ? sum / n : -1;
  return d;
}

// Trains `yaml` in one process and with --nproc 2 (1 thread each) into fresh run directories.
void train_one_and_two(const std::string& yaml, const std::string& one, const std::string& two) {
  fs::remove_all(one);
  fs::remove_all(two);
  ASSERT_EQ(run_tinynmt("train " + yaml + " --threads 1 --set run.dir=" + one, one + ".log"), 0)
      << slurp(one + ".log");
  ASSERT_EQ(
      run_tinynmt("train " + yaml + " --nproc 2 --threads 1 --set run.dir=" + two, two + ".log"), 0)
      << slurp(two + ".log");
  EXPECT_NE(slurp(two + ".log").find("2 ranks"), std::string::npos) << slurp(two + ".log");
}

}  // namespace

// Plain SGD moves each parameter by lr x its gradient, so equal parameters after N steps mean the
// 2-rank all-reduced gradients equal the single process's: within float rounding.
TEST(DistributedTraining, TwoRanksComputeTheSameGradientsAsOneProcess) {
  const std::string yaml = write_config("tinynmt_dist_sgd", "sgd", 0.5);
  const fs::path tmp = fs::temp_directory_path();
  const std::string one = (tmp / "tinynmt_dist_sgd_one").string();
  const std::string two = (tmp / "tinynmt_dist_sgd_two").string();
  train_one_and_two(yaml, one, two);
  if (HasFatalFailure()) return;
  ParamDifference d = param_difference(one, two, load_config(yaml));
  std::cout << "SGD, parameters after 6 steps: mean |difference| " << d.mean << ", largest "
            << d.largest << "\n";
  EXPECT_LE(d.largest, 1e-5) << "largest parameter difference after 6 SGD steps";
  EXPECT_GE(d.mean, 0.0);
  auto la = test_runs::train_losses(one), lb = test_runs::train_losses(two);
  ASSERT_EQ(la.size(), 6u);
  ASSERT_EQ(lb.size(), 6u);
  for (const auto& [step, loss] : la) EXPECT_NEAR(loss, lb[step], 1e-5) << "step " << step;
  EXPECT_LT(la.rbegin()->second, la.begin()->second) << "SGD at lr 0.5 lowers the loss";
}

TEST(DistributedTraining, TwoRanksTrainTheSameParametersAsOneProcessAndResumeWithOne) {
  const std::string yaml = write_config("tinynmt_dist_equal");
  const fs::path tmp = fs::temp_directory_path();
  const std::string one = (tmp / "tinynmt_dist_one").string();
  const std::string two = (tmp / "tinynmt_dist_two").string();
  train_one_and_two(yaml, one, two);
  if (HasFatalFailure()) return;
  Config cfg = load_config(yaml);
  // Adam moves a coordinate by about lr x sign(gradient) while its moments are young, so where a
  // gradient is near 0 the summation order (two ranks' partial sums against one) can flip the
  // sign of a step: the largest difference is bounded by the learning rate, not by 1e-5; the
  // typical one stays at float rounding. The SGD test above checks the gradients to 1e-5.
  ParamDifference d = param_difference(one, two, cfg);
  EXPECT_LE(d.mean, 1e-5) << "mean parameter difference after 6 steps";
  EXPECT_LE(d.largest, 0.25 * cfg.training.lr) << "largest parameter difference after 6 steps";
  EXPECT_GE(d.largest, 0.0);  // a number, not NaN
  std::cout << "Adam, parameters after 6 steps: mean |difference| " << d.mean << ", largest "
            << d.largest << "\n";
  // The group logs the same losses as the single process.
  auto la = test_runs::train_losses(one), lb = test_runs::train_losses(two);
  ASSERT_EQ(la.size(), 6u);
  ASSERT_EQ(lb.size(), 6u);
  for (const auto& [step, loss] : la) EXPECT_NEAR(loss, lb[step], 1e-4) << "step " << step;

  // The 2-rank run resumes in one process and continues its step count and data order.
  ASSERT_EQ(run_tinynmt("train --resume " + two + " --threads 1 --set training.max_steps=8",
                        two + ".resume.log"),
            0)
      << slurp(two + ".resume.log");
  EXPECT_NE(slurp(two + ".resume.log").find("at step 6"), std::string::npos)
      << slurp(two + ".resume.log");
  EXPECT_EQ(test_runs::train_losses(two).size(), 8u);
}
