// `tinynmt bench` parts: the FLOP formula (a hand case, and a cross-check against the weight
// matrices of the real networks), the median and sgemm arithmetic, and train_step's
// forward_backward (shared with the trainer). The synthetic corpus: test_bench_data.cpp; the
// report: test_report.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>

#include "bench/bench.h"
#include "bench/flops.h"
#include "data/batching.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "tiny_configs.h"
#include "train/loss.h"
#include "train/train_step.h"

using namespace tinynmt;
using namespace tinynmt::bench;
using tinynmt::test_configs::tiny_rnn;
using tinynmt::test_configs::tiny_transformer;

namespace {

/// Σ numel of the model's 2-D parameters (weight matrices) whose name satisfies `keep`.
double weights(const torch::nn::Module& m, const std::function<bool(const std::string&)>& keep) {
  double n = 0;
  for (const auto& p : m.named_parameters())
    if (p.value().dim() == 2 && keep(p.key())) n += static_cast<double>(p.value().numel());
  return n;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST(BenchFlops, TransformerHandCase) {
  // 1 layer, d = 4, ff = 8, V = 10, a sentence pair with S = 3, T = 2.
  // Encoder: per source token Q,K,V,O 2·4·16 = 128 and FFN 2·2·4·8 = 128: 3 · 256 = 768;
  //          scores + context 2·2·S·S·d = 144.                                  -> 912
  // Decoder: self-attention projections 2 · 128 = 256, scores + context 2·2·T·T·d = 64,
  //          FFN 2 · 128 = 256.                                                 -> 576
  // Cross-attention: Q,O per target token 2 · 2·2·16 = 128, K,V per source token
  //          3 · 2·2·16 = 192, scores + context 2·2·T·S·d = 96.                 -> 416
  // Output: 2·d·V per target token = 2 · 80.                                    -> 160
  auto f = forward_flops(tiny_transformer(4, 8, 1, 2), 10, 3, 2);
  EXPECT_DOUBLE_EQ(f.encoder, 912);
  EXPECT_DOUBLE_EQ(f.decoder, 576);
  EXPECT_DOUBLE_EQ(f.attention, 416);
  EXPECT_DOUBLE_EQ(f.output, 160);
  EXPECT_DOUBLE_EQ(f.total(), 2064);
  // Two layers double everything but the output layer.
  auto f2 = forward_flops(tiny_transformer(4, 8, 2, 2), 10, 3, 2);
  EXPECT_DOUBLE_EQ(f2.total(), 2 * (912 + 576 + 416) + 160);
}

TEST(BenchFlops, TransformerMatchesTheNetworksWeightMatrices) {
  // Every weight matrix of a Transformer is used once per token of its side: the per-token part
  // of the count must be 2 · (Σ weights) per token, whatever the sizes.
  const int64_t d = 12, ff = 20, L = 2, V = 37, S = 5, T = 4;
  auto cfg = tiny_transformer(d, ff, L, 3);
  auto model = make_seq2seq(cfg, V, V);
  auto f = forward_flops(cfg, V, S, T);
  const double enc_w = weights(*model, [](const std::string& n) { return starts(n, "encoder."); });
  EXPECT_DOUBLE_EQ(f.encoder, 2.0 * S * enc_w + L * 4.0 * S * S * d);
  const double dec_w = weights(*model, [](const std::string& n) {
    return starts(n, "decoder.") && !has(n, ".cross_attn.");
  });
  EXPECT_DOUBLE_EQ(f.decoder, 2.0 * T * dec_w + L * 4.0 * T * T * d);
  const double cross_q = weights(*model, [](const std::string& n) {
    return has(n, ".cross_attn.q_proj") || has(n, ".cross_attn.out_proj");
  });
  const double cross_kv = weights(*model, [](const std::string& n) {
    return has(n, ".cross_attn.k_proj") || has(n, ".cross_attn.v_proj");
  });
  EXPECT_DOUBLE_EQ(f.attention, 2.0 * T * cross_q + 2.0 * S * cross_kv + L * 4.0 * T * S * d);
  EXPECT_DOUBLE_EQ(f.output, 2.0 * T * V * d);
}

TEST(BenchFlops, RnnMatchesTheNetworksWeightMatrices) {
  // RNN encoder: every matrix once per source token (per direction). RNN decoder: the cell,
  // input-feeding/context and readout matrices once per target token, the bridge once per
  // sentence; the attention as documented in attention_flops().
  const int64_t V = 23, S = 6, T = 5;
  struct Case {
    std::string rnn, attention;
    bool feeding;
  };
  for (const Case& c : {Case{"gru", "bahdanau", false}, Case{"lstm", "luong-general", true},
                        Case{"gru", "luong-dot", false}, Case{"lstm", "luong-concat", true}}) {
    SCOPED_TRACE(c.rnn + " " + c.attention);
    auto cfg = tiny_rnn(c.rnn, c.attention, c.feeding);
    if (c.attention == "luong-dot") cfg.decoder.hidden_size = 10;  // query size = 2 · 5 keys
    auto model = make_seq2seq(cfg, V, V);
    auto f = forward_flops(cfg, V, S, T);
    const double enc_w =
        weights(*model, [](const std::string& n) { return starts(n, "encoder."); });
    EXPECT_DOUBLE_EQ(f.encoder, 2.0 * S * enc_w);
    const double per_token = weights(*model, [](const std::string& n) {
      return starts(n, "decoder.") && !has(n, "attention.") && !has(n, "bridge_");
    });
    const double bridge = weights(*model, [](const std::string& n) { return has(n, "bridge_"); });
    EXPECT_DOUBLE_EQ(f.decoder, 2.0 * T * per_token + 2.0 * bridge);
    const int64_t H = cfg.decoder.hidden_size, enc = 10;
    double attention = 2.0 * T * S * enc;  // context
    if (c.attention == "bahdanau" || c.attention == "luong-concat")
      attention += 2.0 * S * enc * H + 2.0 * T * H * H + 2.0 * T * S * H;
    else if (c.attention == "luong-general")
      attention += 2.0 * S * enc * H + 2.0 * T * S * H;
    else
      attention += 2.0 * T * S * enc;
    EXPECT_DOUBLE_EQ(f.attention, attention);
    // Tied output with hidden 7 != embedding 6 (or 10 != 6): pre-projection, then 2·E·V.
    EXPECT_DOUBLE_EQ(f.output, 2.0 * T * H * 6 + 2.0 * T * 6 * V);
  }
}

TEST(BenchFlops, SumsOverPairsAndRejectsMismatch) {
  auto cfg = tiny_transformer(8, 16, 1, 2);
  auto a = forward_flops(cfg, 50, 7, 3).total(), b = forward_flops(cfg, 50, 2, 9).total();
  EXPECT_DOUBLE_EQ(forward_flops(cfg, 50, {7, 2}, {3, 9}).total(), a + b);
  EXPECT_THROW(forward_flops(cfg, 50, {7, 2}, {3}), std::invalid_argument);
  AttentionConfig bad;
  bad.type = "nope";
  bad.query_dim = bad.key_dim = 4;
  EXPECT_THROW(attention_flops(bad, 3, 3), std::invalid_argument);
}

TEST(BenchMeasure, MedianAndSgemmFormula) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0);
  auto s = measure_sgemm(32, 3, 1);  // tiny: checks the arithmetic, not the machine
  EXPECT_EQ(s.n, 32);
  EXPECT_GT(s.median_seconds, 0);
  EXPECT_NEAR(s.gflops, 2.0 * 32 * 32 * 32 / s.median_seconds / 1e9, 1e-9 * s.gflops);
  EXPECT_THROW(measure_sgemm(0, 3), std::invalid_argument);
}

TEST(TrainStep, ForwardBackwardEqualsTheLossItsGradientAndAccumulates) {
  // On the CPU forward_backward fuses the output layer with the loss (pad rows dropped, blocks of
  // rows); the reference forms the logits and applies label_smoothed_loss. A Transformer with a
  // tied output layer and an RNN whose tied output layer needs a pre-output projection.
  for (const auto& cfg : {tiny_transformer(8, 16, 1, 2), tiny_rnn("gru", "bahdanau", true)}) {
    SCOPED_TRACE(cfg.decoder.type);
    torch::manual_seed(3);
    auto model = make_seq2seq(cfg, 20, 20);
    model->train();  // dropout is 0: deterministic
    std::vector<std::vector<int64_t>> src = {{5, 6, 7, kEosId}, {8, 9, kEosId}};
    std::vector<std::vector<int64_t>> tgt = {{10, 11}, {12, 13, 14}};
    Batch b = make_batch(src, &tgt, {0, 1});
    const double eps = 0.1, norm = 7.0;

    // Reference: the loss and gradients computed directly.
    model->zero_grad();
    auto out = model->forward(b.src, b.tgt_in);
    auto ref = label_smoothed_loss(out.logits, b.tgt_out, eps, kPadId).loss;
    (ref / norm).backward();
    std::vector<torch::Tensor> ref_grads;
    for (const auto& p : model->parameters()) ref_grads.push_back(p.grad().clone());

    model->zero_grad();
    auto loss = forward_backward(*model, b, eps, norm);
    EXPECT_FALSE(loss.requires_grad());
    EXPECT_NEAR(loss.item<double>(), ref.item<double>(), 1e-5);
    auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(torch::allclose(params[i].grad(), ref_grads[i], 1e-5, 1e-7)) << i;
    // A second call accumulates (micro-batches of one optimiser step).
    forward_backward(*model, b, eps, norm);
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(torch::allclose(params[i].grad(), 2 * ref_grads[i], 1e-5, 1e-7)) << i;
    // The validation form (no gradient) gives the same sums.
    {
      torch::NoGradGuard no_grad;
      auto sums = teacher_forced_loss(*model, b, eps);
      EXPECT_NEAR(sums.loss.item<double>(), ref.item<double>(), 1e-5);
    }

    Batch decoding_only = make_batch(src, nullptr, {0, 1});
    EXPECT_THROW(forward_backward(*model, decoding_only, eps, norm), std::invalid_argument);
    EXPECT_THROW(forward_backward(*model, b, eps, 0.0), std::invalid_argument);
  }
}
