// Learning tests on synthetic tasks made in code: copy must learn a diagonal alignment, reverse an
// anti-diagonal one (greedy exact match >= 95%, attention argmax on the (anti-)diagonal for >= 90%
// of target tokens), for several attention mechanisms.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "models/model_config.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "synthetic_tasks.h"

namespace tinynmt {
namespace {

using namespace synthetic;

struct Score {
  double exact = 0, diagonal = 0;
};

// Greedy exact match, and the fraction of target tokens (teacher forced) whose attention argmax
// (mean over layers and heads) is the source position of the symbol they copy.
Score evaluate(Seq2SeqImpl& model, const Batch& b, bool reverse) {
  torch::NoGradGuard no_grad;
  model.eval();
  const int64_t n = b.src.size(0);
  auto state = model.init_state(model.encode(b.src, b.src.ne(kPadId)));
  auto prev = torch::full({n}, kBosId, torch::kInt64);
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t < kMaxLen + 3; ++t) {
    prev = model.decode_step(prev, state).log_probs.argmax(-1);  // [batch]
    out.push_back(prev);
  }
  auto hyp = torch::stack(out, 1);                                    // [batch, max_len]
  auto attn = model.forward(b.src, b.tgt_in).attention.mean({1, 2});  // [batch, tgt, src]
  auto arg = attn.argmax(-1);                                         // [batch, tgt]
  int64_t exact = 0, on_diag = 0, tokens = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = b.lengths[i];
    bool ok = true;
    for (int64_t j = 0; j <= len && ok; ++j)
      ok = hyp[i][j].item<int64_t>() == b.tgt_out[i][j].item<int64_t>();
    exact += ok;
    for (int64_t j = 0; j < len; ++j) {
      const int64_t want = reverse ? len - 1 - j : j;
      on_diag += arg[i][j].item<int64_t>() == want;
      ++tokens;
    }
  }
  model.train();
  return {static_cast<double>(exact) / n, static_cast<double>(on_diag) / tokens};
}

struct Task {
  std::string name;
  ModelConfig cfg;
  bool reverse;
  double lr;
  int64_t max_steps;
};

class Learning : public ::testing::TestWithParam<Task> {};

TEST_P(Learning, LearnsTaskAndAlignment) {
  const auto& task = GetParam();
  torch::set_num_threads(1);
  torch::manual_seed(1);
  std::mt19937 rng(1);
  auto model = make_seq2seq(task.cfg, kVocab, kVocab);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(task.lr));
  const auto dev = make_batch(rng, 200, task.reverse);
  const auto test = make_batch(rng, 200, task.reverse);
  const auto start = std::chrono::steady_clock::now();
  int64_t step = 0, good_evals = 0;
  double train_secs = 0;
  Score dev_score;
  for (step = 1; step <= task.max_steps; ++step) {
    auto b = make_batch(rng, 32, task.reverse);
    const auto t0 = std::chrono::steady_clock::now();
    train_step(*model, opt, b);
    train_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (step % 100 == 0) {
      // Stop after two consecutive near-perfect evaluations on the dev set.
      dev_score = evaluate(*model, dev, task.reverse);
      good_evals = dev_score.exact >= 0.99 && dev_score.diagonal >= 0.95 ? good_evals + 1 : 0;
      if (good_evals == 2) break;
    }
  }
  const auto s = evaluate(*model, test, task.reverse);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ learning ] " << task.name << ": " << step << " steps, " << secs << " s ("
            << 1000 * train_secs / step << " ms/step), exact " << s.exact << ", diagonal "
            << s.diagonal << "\n";
  EXPECT_GE(s.exact, 0.95) << task.name;
  EXPECT_GE(s.diagonal, 0.90) << task.name;
}

std::vector<Task> tasks() {
  return {
      {"copy_bahdanau", rnn("bahdanau"), false, 3e-3, 2000},
      {"reverse_bahdanau", rnn("bahdanau"), true, 3e-3, 2000},
      {"copy_luong_general", rnn("luong-general"), false, 3e-3, 2000},
      {"reverse_luong_general", rnn("luong-general"), true, 3e-3, 2000},
      {"copy_transformer_multihead", transformer("multihead"), false, 1e-3, 2000},
      // Reversal needs the distance to the source end: a second encoder layer learns it faster.
      {"reverse_transformer_multihead", transformer("multihead", 2), true, 2e-3, 6000},
  };
}

INSTANTIATE_TEST_SUITE_P(Synthetic, Learning, ::testing::ValuesIn(tasks()),
                         [](const ::testing::TestParamInfo<Task>& i) { return i.param.name; });

}  // namespace
}  // namespace tinynmt
