// The exponential moving average of the weights (train/ema.h, training.ema_decay): decay 0 is the
// raw weights; decay d is the hand-computed average of the recorded raw weights; swapping exchanges
// without copying and undoes; checkpoints keep the average as the model and the raw weights beside
// it; a run validates with the average, resumes exactly, and starts an EMA from an old checkpoint;
// a run without a dev set still keeps numbered checkpoints to average.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "models/seq2seq.h"
#include "run/average.h"
#include "run/checkpoint.h"
#include "run/load_model.h"
#include "tiny_configs.h"
#include "tiny_runs.h"
#include "train/ema.h"
#include "train/trainer.h"
#include "train/validation.h"
#include "util/process.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;
using Weights = std::vector<torch::Tensor>;

std::shared_ptr<Seq2SeqImpl> tiny_model(uint64_t seed) {
  torch::manual_seed(seed);
  return make_seq2seq(test_configs::tiny_transformer(8, 16, 1, 2), 12, 12);
}

Weights copies(const Weights& w) {
  Weights out;
  for (const auto& t : w) out.push_back(t.detach().clone());
  return out;
}

// Moves every weight by noise, as an optimiser step would.
void fake_step(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& t : weight_tensors(m)) t.add_(torch::randn_like(t) * 0.1);
}

double max_diff(const Weights& a, const Weights& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    d = std::max(d, (a[i].to(torch::kDouble) - b[i].to(torch::kDouble)).abs().max().item<double>());
  return d;
}

TEST(Ema, DecayZeroEqualsTheRawWeights) {
  auto m = tiny_model(1);
  const Weights init = copies(weight_tensors(*m));
  WeightEma ema(*m, 0.0, false);
  for (int64_t step = 1; step <= 3; ++step) {
    fake_step(*m);
    ema.update(step);
  }
  EXPECT_GT(max_diff(init, weight_tensors(*m)), 0.1);  // the weights did move
  EXPECT_EQ(max_diff(ema.held(), weight_tensors(*m)), 0.0);
}

TEST(Ema, DecayMatchesTheHandComputedAverageOfRecordedWeights) {
  const double d = 0.7;
  auto m = tiny_model(2);
  std::vector<Weights> raw{copies(weight_tensors(*m))};
  WeightEma ema(*m, d, false);
  for (int64_t step = 1; step <= 4; ++step) {
    fake_step(*m);
    ema.update(step);
    raw.push_back(copies(weight_tensors(*m)));
  }
  Weights want;  // in double: e_0 = theta_0, e_t = d e_{t-1} + (1 - d) theta_t
  for (const auto& t : raw[0]) want.push_back(t.to(torch::kDouble));
  for (size_t s = 1; s < raw.size(); ++s)
    for (size_t i = 0; i < want.size(); ++i)
      want[i] = d * want[i] + (1 - d) * raw[s][i].to(torch::kDouble);
  EXPECT_LT(max_diff(ema.held(), want), 1e-6);
  EXPECT_GT(max_diff(ema.held(), raw.back()), 1e-3);  // the average is not the last weights
}

TEST(Ema, WarmupDecayFollowsTheStepFormula) {
  auto m = tiny_model(3);
  WeightEma plain(*m, 0.999, false), warm(*m, 0.999, true);
  EXPECT_DOUBLE_EQ(plain.decay_at(1), 0.999);
  EXPECT_DOUBLE_EQ(warm.decay_at(1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(warm.decay_at(100), 101.0 / 110.0);
  EXPECT_DOUBLE_EQ(warm.decay_at(100000), 0.999);
  EXPECT_THROW(WeightEma(*m, 1.0, false), std::invalid_argument);
}

TEST(Ema, SwapExchangesWithoutCopyingAndSwapsBack) {
  auto m = tiny_model(4);
  WeightEma ema(*m, 0.5, false);
  fake_step(*m);
  ema.update(1);
  const Weights raw = copies(weight_tensors(*m)), avg = copies(ema.held());
  const void* avg_storage = ema.held()[0].data_ptr();
  size_t embed = 0;  // the target embedding's place among the weights
  while (!weight_tensors(*m)[embed].is_same(m->named_parameters()["tgt_embed.weight"])) ++embed;
  {
    EmaSwapGuard guard(&ema);
    EmaSwapGuard nested(&ema);  // already swapped in: does nothing
    EXPECT_EQ(max_diff(weight_tensors(*m), avg), 0.0);
    EXPECT_EQ(max_diff(ema.held(), raw), 0.0);
    EXPECT_EQ(weight_tensors(*m)[0].data_ptr(), avg_storage);  // pointed at, not copied
    // The tied output layer shares the target embedding: it shows the average too.
    EXPECT_TRUE(torch::equal(m->output_layer().weight, avg[embed]));
    EXPECT_FALSE(torch::equal(m->output_layer().weight, raw[embed]));
  }
  EXPECT_FALSE(ema.swapped());
  EXPECT_EQ(max_diff(weight_tensors(*m), raw), 0.0);
  EXPECT_EQ(max_diff(ema.held(), avg), 0.0);
}

TEST(Ema, CheckpointKeepsRawWeightsBesideTheModel) {
  TempDir dir;
  const std::string path = dir.path() + "/last.ckpt";
  auto m = tiny_model(5);
  WeightEma ema(*m, 0.5, false);
  fake_step(*m);
  ema.update(1);
  const Weights raw = copies(weight_tensors(*m)), avg = copies(ema.held());
  {
    EmaSwapGuard guard(&ema);
    save_checkpoint(path, *m, nullptr, TrainState{}, "run: {}\n", {}, &ema.held());
  }
  auto back = tiny_model(6);
  Weights read;
  auto info = load_checkpoint(path, *back, nullptr, torch::kCPU, false, &read);
  EXPECT_TRUE(info.has_raw_weights);
  EXPECT_EQ(max_diff(weight_tensors(*back), avg), 0.0);  // the model is the average
  EXPECT_EQ(max_diff(read, raw), 0.0);
  save_checkpoint(path, *m, nullptr, TrainState{}, "run: {}\n");  // no EMA: no raw weights
  EXPECT_FALSE(load_checkpoint(path, *back, nullptr, torch::kCPU, false, &read).has_raw_weights);
  EXPECT_TRUE(read.empty());
}

// Not run by default (--gtest_also_run_disabled_tests): the cost of one update and one swap on
// the Multi30k Transformer (configs/multi30k_de_en_transformer.yaml, a joint 8000-piece
// vocabulary).
TEST(Ema, DISABLED_CostOnTheMulti30kTransformer) {
  const Config c = load_config("configs/multi30k_de_en_transformer.yaml");
  auto m = make_seq2seq(c.model, 8000, 8000);
  WeightEma ema(*m, 0.9999, false);
  const int n = 50;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 1; i <= n; ++i) ema.update(i);
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) ema.swap();
  auto t2 = std::chrono::steady_clock::now();
  const double update_ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / n;
  const double swap_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / n;
  int64_t numel = 0;
  for (const auto& t : ema.held()) numel += t.numel();
  std::cout << numel << " weights in " << ema.held().size() << " tensors: update " << update_ms
            << " ms, swap " << swap_ms << " ms (" << torch::get_num_threads() << " threads)\n";
  EXPECT_GT(numel, 1000000);
  EXPECT_FALSE(ema.swapped());  // an even number of swaps
}

// ---- Training runs (tests/tiny_runs.h) ----------------------------------------------------

// The model weights and (an EMA run's `last`) raw weights of a run's checkpoint.
struct Stored {
  Weights model, raw;
};

Stored read_stored(const std::string& path) {
  const CheckpointInfo info = read_checkpoint_info(path);
  const Config cfg = parse_config(info.config_yaml, path);
  auto m = make_seq2seq(cfg.model, info.state.src_vocab, info.state.tgt_vocab);
  Stored s;
  load_checkpoint(path, *m, nullptr, torch::kCPU, false, &s.raw);
  s.model = copies(weight_tensors(*m));
  return s;
}

std::string step_ckpt(const Config& c, int64_t step) {
  return (fs::path(c.run.dir) / ("step_" + std::to_string(step) + ".ckpt")).string();
}

Config run_config(const std::string& name, int64_t steps) {
  Config c = test_runs::tiny_config(name, steps);
  c.training.validate_every = 1;
  c.training.keep_checkpoints = 20;
  fs::remove_all(c.run.dir);
  return c;
}

// An EMA switched on when resuming a run without one starts from its weights, then follows the
// hand-computed average of the raw weights, which are those of a run without EMA; validation
// scores the average.
TEST(EmaTraining, StartsFromAnOldCheckpointFollowsTheRawWeightsAndValidatesTheAverage) {
  const double d = 0.8;
  Config plain = run_config("tinynmt_ema_plain", 3), ema = run_config("tinynmt_ema_on", 3);
  train(plain);
  plain.training.max_steps = 6;
  train(plain);
  train(ema);
  ema.training.max_steps = 6;
  ema.training.ema_decay = d;
  EXPECT_EQ(train(ema).steps, 6);
  Weights want = read_stored(step_ckpt(plain, 3)).model;  // e_3 = theta_3
  for (int64_t step = 4; step <= 6; ++step) {
    const Weights theta = read_stored(step_ckpt(plain, step)).model;
    for (size_t i = 0; i < want.size(); ++i) want[i] = d * want[i] + (1 - d) * theta[i];
    EXPECT_LT(max_diff(read_stored(step_ckpt(ema, step)).model, want), 1e-6) << "step " << step;
  }
  const Stored last = read_stored((fs::path(ema.run.dir) / "last.ckpt").string());
  const Weights theta6 = read_stored(step_ckpt(plain, 6)).model;
  EXPECT_EQ(max_diff(last.raw, theta6), 0.0);  // the EMA does not change the training
  EXPECT_LT(max_diff(last.model, want), 1e-6);
  EXPECT_GT(max_diff(last.model, theta6), 1e-4);

  // The step-6 validation loss is the average's, not the raw weights'.
  double logged = -1;
  std::ifstream in(fs::path(ema.run.dir) / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "valid" && j["step"] == 6) logged = j["loss"].get<double>();
  }
  LoadedModel lm = load_model(ema.run.dir, step_ckpt(ema, 6), "cpu");
  const DevSet dev = load_dev_set(ema.data.dev, lm.tokenizer);
  const double averaged = validate_model(*lm.model, dev, lm.tokenizer, ema, torch::kCPU).loss;
  {
    torch::NoGradGuard no_grad;
    Weights w = weight_tensors(*lm.model);
    for (size_t i = 0; i < w.size(); ++i) w[i].copy_(theta6[i]);
  }
  const double raw = validate_model(*lm.model, dev, lm.tokenizer, ema, torch::kCPU).loss;
  EXPECT_NEAR(logged, averaged, 1e-5);  // float sums in another thread count
  EXPECT_GT(std::abs(logged - raw), 1e-3);
}

// A run with an EMA interrupted and resumed ends with the same average and raw weights as one
// trained without a break.
TEST(EmaTraining, ResumedRunEndsWithTheUninterruptedRunsWeights) {
  Config full = run_config("tinynmt_ema_full", 8), part = run_config("tinynmt_ema_part", 4);
  full.training.ema_decay = part.training.ema_decay = 0.9;
  full.training.ema_warmup = part.training.ema_warmup = true;
  train(full);
  train(part);
  part.training.max_steps = 8;
  EXPECT_EQ(train(part).steps, 8);
  const Stored a = read_stored((fs::path(full.run.dir) / "last.ckpt").string());
  const Stored b = read_stored((fs::path(part.run.dir) / "last.ckpt").string());
  ASSERT_FALSE(a.raw.empty());
  EXPECT_LT(max_diff(a.model, b.model), 1e-6);
  EXPECT_LT(max_diff(a.raw, b.raw), 1e-6);
  EXPECT_GT(max_diff(a.model, a.raw), 1e-4);  // the average and the raw weights differ
}

// What `tinynmt average --last N` needs: a run without a dev set also writes numbered checkpoints,
// one per training.validate_every steps.
TEST(EmaTraining, ARunWithoutDevSetKeepsNumberedCheckpointsToAverage) {
  Config c = run_config("tinynmt_ema_nodev", 6);
  c.data.dev = {};
  c.training.validate_every = 2;
  train(c);
  const std::vector<std::string> found = last_step_checkpoints(c.run.dir, 3);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(fs::path(found[0]).filename(), "step_2.ckpt");
  EXPECT_EQ(fs::path(found[2]).filename(), "step_6.ckpt");
}

}  // namespace
}  // namespace tinynmt
