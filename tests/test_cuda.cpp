// GPU tests: they run where this build has CUDA compiled in and the machine has a CUDA GPU, and
// are skipped with the reason otherwise (never passed without running).
// - CPU and CUDA give the same loss on one batch (fp32, relative 1e-4);
// - a checkpoint trained on CUDA translates on the CPU with the same output;
// - a bf16 (autocast) training step is finite and its loss is within 1% of fp32.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/kernel_profile.h"
#include "data/batching.h"
#include "decode/translator.h"
#include "models/seq2seq.h"
#include "run/load_model.h"
#include "synthetic_tasks.h"
#include "tiny_configs.h"
#include "tiny_runs.h"
#include "train/train_step.h"
#include "train/trainer.h"
#include "util/build_info.h"

namespace tinynmt {
namespace {

// Skips the calling test unless a CUDA device can be used, naming what is missing.
#define SKIP_WITHOUT_CUDA()                                                                       \
  do {                                                                                            \
    const BuildInfo info = build_info();                                                          \
    if (!info.cuda_compiled)                                                                      \
      GTEST_SKIP() << "this build has no CUDA (LibTorch " << info.torch_version << ", CPU only)"; \
    if (info.cuda_devices == 0 || !torch::cuda::is_available())                                   \
      GTEST_SKIP() << "CUDA is compiled in (" << info.cuda_version                                \
                   << ") but this machine has no CUDA GPU";                                       \
  } while (0)

// A fixed batch of the synthetic copy task in the Batch layout the trainer uses.
Batch copy_batch(int64_t n, uint64_t seed) {
  std::mt19937 rng(seed);
  auto b = synthetic::make_batch(rng, n, /*reverse=*/false);
  std::vector<std::vector<int64_t>> src, tgt;
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> s, t;
    for (int64_t j = 0; j < b.lengths[i]; ++j) s.push_back(b.src[i][j].item<int64_t>());
    t = s;
    s.push_back(kEosId);
    src.push_back(s);
    tgt.push_back(t);
    idx.push_back(i);
  }
  return make_batch(src, &tgt, idx);
}

double loss_per_token(Seq2SeqImpl& model, const Batch& b, bool bf16) {
  auto sums = teacher_forced_loss(model, b, /*label_smoothing=*/0.1, bf16);
  return sums.loss.item<double>() / static_cast<double>(b.num_tgt_tokens);
}

TEST(Cuda, CpuAndCudaGiveTheSameLoss) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(3);
  auto model = make_seq2seq(test_configs::tiny_transformer(32, 64, 2, 4), synthetic::kVocab,
                            synthetic::kVocab);
  model->eval();
  torch::NoGradGuard no_grad;
  const Batch b = copy_batch(16, 5);
  const double cpu = loss_per_token(*model, b, false);
  model->to(torch::kCUDA);
  const double cuda = loss_per_token(*model, b.to(torch::kCUDA), false);
  EXPECT_TRUE(std::isfinite(cpu));
  EXPECT_NEAR(cuda, cpu, 1e-4 * std::abs(cpu)) << "cpu " << cpu << " cuda " << cuda;
}

TEST(Cuda, Bf16StepIsFiniteAndCloseToFp32) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(4);
  auto model = make_seq2seq(test_configs::tiny_transformer(32, 64, 2, 4), synthetic::kVocab,
                            synthetic::kVocab);
  model->to(torch::kCUDA);
  model->eval();  // no dropout: the two passes see the same function
  const Batch b = copy_batch(16, 6).to(torch::kCUDA);
  const auto n = static_cast<double>(b.num_tgt_tokens);
  // One training step's forward and backward each way (train/train_step.h forward_backward).
  model->zero_grad();
  const double fp32 = forward_backward(*model, b, 0.1, n, false).item<double>() / n;
  model->zero_grad();
  const double bf16 = forward_backward(*model, b, 0.1, n, true).item<double>() / n;
  EXPECT_TRUE(std::isfinite(bf16));
  EXPECT_NEAR(bf16, fp32, 0.01 * std::abs(fp32)) << "fp32 " << fp32 << " bf16 " << bf16;
  int64_t with_grad = 0;
  for (const auto& p : model->parameters())
    if (p.grad().defined()) {
      ++with_grad;
      EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
    }
  EXPECT_GT(with_grad, 0);
}

TEST(Cuda, KernelProfileSeesTheMatrixProducts) {
  SKIP_WITHOUT_CUDA();
  auto a = torch::randn({512, 512}, torch::kCUDA);  // [512, 512]
  auto step = [&](int64_t) {
    for (int i = 0; i < 4; ++i) a = torch::relu(torch::mm(a, a) / 512.0);
  };
  step(0);  // warm-up: cuBLAS handles, kernel loading
  const auto p = bench::profile_kernels("", 2, step, torch::Device(torch::kCUDA));
  ASSERT_TRUE(p.measured) << p.reason;
  EXPECT_GE(p.kernels, 8.0);  // per step: 4 products and at least 4 elementwise kernels
  EXPECT_GT(p.gemm_ms, 0.0);
  EXPECT_LT(p.gemm_ms, p.kernel_ms);
  EXPECT_LE(p.busy_ms, p.kernel_ms + 1e-9);
  EXPECT_LE(p.busy_ms, p.wall_ms * 1.05);
}

TEST(Cuda, CheckpointTrainedOnCudaTranslatesOnCpu) {
  SKIP_WITHOUT_CUDA();
  Config c = test_runs::tiny_config("tinynmt_cuda_trained", 30);
  c.run.device = "cuda";
  std::filesystem::remove_all(c.run.dir);
  ASSERT_EQ(train(c).steps, 30);
  const std::vector<std::string> lines = {"a b c d", "p o n m l", "c a f e"};
  std::vector<std::vector<std::string>> out;
  for (const char* device : {"cuda", "cpu"}) {
    LoadedModel m = load_model(c.run.dir, "last", device);
    decode::TranslateOptions o;
    o.beam = 3;
    std::vector<std::string> texts;
    for (const auto& t : decode::Translator(m, o).translate(lines))
      texts.push_back(t.hypotheses[0].text);
    out.push_back(texts);
  }
  EXPECT_EQ(out[0], out[1]);
}

}  // namespace
}  // namespace tinynmt
