// Attention modules: every registered name through one parameterised test, multihead against
// torch::nn::MultiheadAttention, the registry's errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "models/attention/additive.h"
#include "models/attention/common.h"
#include "models/attention/multi_head.h"
#include "models/attention/packed_attention.h"
#include "models/attention/registry.h"
#include "models/dropout.h"
#include "models/model_config.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt {
namespace {

constexpr int64_t kB = 3, kT = 5, kS = 9, kWindow = 2;

AttentionConfig small_config(const std::string& name) {
  AttentionConfig c;
  c.type = name;
  c.query_dim = name == "luong-dot" ? 8 : 6;  // dot needs equal sizes
  c.key_dim = 8;
  c.value_dim = 8;
  c.hidden_dim = name == "multihead" ? 8 : 0;
  c.heads = name == "multihead" ? 2 : 1;
  c.window = kWindow;
  return c;
}

// [batch, 1, src_len] padding mask for lengths {9, 6, 3}.
torch::Tensor padding_mask() {
  auto len = torch::tensor({9, 6, 3}, torch::kInt64).view({kB, 1});
  return (torch::arange(kS).view({1, kS}) < len).unsqueeze(1);  // [batch, 1, src_len]
}

class AttentionByName : public ::testing::TestWithParam<std::string> {};

TEST_P(AttentionByName, ShapesRowsMaskAndWindow) {
  torch::manual_seed(1);
  const auto name = GetParam();
  auto cfg = small_config(name);
  auto att = make_attention(cfg);
  att->eval();
  auto q = torch::randn({kB, kT, cfg.query_dim});
  auto k = torch::randn({kB, kS, cfg.key_dim});
  auto mask = padding_mask();
  auto out = att->forward(q, k, k, mask);
  ASSERT_EQ(out.context.sizes(), torch::IntArrayRef({kB, kT, att->output_dim()}));
  ASSERT_EQ(out.weights.sizes(), torch::IntArrayRef({kB, att->heads(), kT, kS}));
  EXPECT_EQ(att->heads(), cfg.heads);
  // Rows sum to 1 and no NaN.
  auto sums = out.weights.sum(-1);
  EXPECT_LT((sums - 1).abs().max().item<double>(), 1e-5) << name;
  EXPECT_FALSE(out.weights.isnan().any().item<bool>());
  // Masked positions exactly 0.
  auto blocked = mask.logical_not().unsqueeze(1).expand_as(out.weights);  // [b, h, t, s]
  EXPECT_EQ(out.weights.masked_select(blocked).abs().max().item<double>(), 0.0) << name;
  const auto lengths = std::vector<int64_t>{9, 6, 3};
  if (name == "local-m") {
    // p_t = t, clamped to the last real source position; |s - p_t| > D is exactly 0.
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t t = 0; t < kT; ++t) {
        const int64_t p = std::min(t, lengths[b] - 1);
        for (int64_t s = 0; s < kS; ++s) {
          const float w = out.weights[b][0][t][s].item<float>();
          if (std::abs(s - p) > kWindow) {
            EXPECT_EQ(w, 0.0f) << "b=" << b << " t=" << t;
          } else if (s < lengths[b]) {
            EXPECT_GT(w, 0.0f) << "b=" << b << " t=" << t << " s=" << s;
          }
        }
      }
  }
  if (name == "local-p") {
    // The non-zero weights of a row lie inside one window of half-width D.
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t t = 0; t < kT; ++t) {
        auto nz = out.weights[b][0][t].nonzero().view(-1);
        ASSERT_GT(nz.numel(), 0);
        EXPECT_LE(nz.numel(), 2 * kWindow + 1);
        EXPECT_LE(nz.max().item<int64_t>() - nz.min().item<int64_t>(), 2 * kWindow);
      }
  }
  // A fully valid mask never gives NaN, even with large scores.
  auto big = att->forward(q * 100, k * 100, k * 100, torch::ones({kB, 1, kS}, torch::kBool));
  EXPECT_FALSE(big.weights.isnan().any().item<bool>());
  EXPECT_LT((big.weights.sum(-1) - 1).abs().max().item<double>(), 1e-5);
}

TEST_P(AttentionByName, GradientsReachEveryParameter) {
  torch::manual_seed(2);
  const auto name = GetParam();
  auto cfg = small_config(name);
  auto att = make_attention(cfg);
  auto q = torch::randn({kB, kT, cfg.query_dim}, torch::requires_grad());
  auto k = torch::randn({kB, kS, cfg.key_dim}, torch::requires_grad());
  auto out = att->forward(q, k, k, padding_mask());
  (out.context * torch::randn_like(out.context)).sum().backward();
  auto params = att->named_parameters();
  if (name != "luong-dot") {
    ASSERT_GT(params.size(), 0u) << name;  // dot has no parameters
  }
  for (const auto& p : params) {
    ASSERT_TRUE(p.value().grad().defined()) << name << " " << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << name << " " << p.key();
  }
  EXPECT_GT(q.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(k.grad().abs().sum().item<double>(), 0.0);
}

ModelConfig model_config(const std::string& enc, const std::string& dec,
                         const std::string& attention) {
  ModelConfig m;
  m.encoder.type = enc;
  m.encoder.layers = 1;
  m.encoder.embedding_dim = 6;
  m.encoder.hidden_size = 4;  // bidirectional: 8
  m.encoder.d_model = 8;
  m.encoder.heads = 2;
  m.encoder.ff = 16;
  m.encoder.dropout = 0.0;
  m.decoder.type = dec;
  m.decoder.attention = attention;
  m.decoder.layers = 2;
  m.decoder.embedding_dim = 6;
  m.decoder.hidden_size = 8;
  m.decoder.d_model = 8;
  m.decoder.heads = 2;
  m.decoder.ff = 16;
  m.decoder.dropout = 0.0;
  m.decoder.attention_dropout = 0.0;
  m.decoder.window = 2;
  return m;
}

void check_in_decoder(const std::string& type, const std::string& name) {
  torch::manual_seed(3);
  auto model = make_seq2seq(model_config(type, type, name), 11, 13);
  auto src = torch::tensor({4, 5, 6, 7, 8, 9, 3, 4, 5, 3, 0, 0, 0, 0}, torch::kInt64).view({2, 7});
  auto tgt = torch::tensor({2, 4, 5, 6, 7, 2, 4, 5, 0, 0}, torch::kInt64).view({2, 5});
  auto out = model->forward(src, tgt);
  const int64_t layers = type == "rnn" ? 1 : 2, heads = name == "multihead" ? 2 : 1;
  EXPECT_EQ(model->attention_layers(), layers);
  EXPECT_EQ(model->attention_heads(), heads);
  ASSERT_EQ(out.logits.sizes(), torch::IntArrayRef({2, 5, 13})) << type << " " << name;
  ASSERT_EQ(out.attention.sizes(), torch::IntArrayRef({2, layers, heads, 5, 7}))
      << type << " " << name;
  EXPECT_LT((out.attention.sum(-1) - 1).abs().max().item<double>(), 1e-5);
  // Padding of the second source (positions 3..6) gets no attention.
  EXPECT_EQ(out.attention[1].slice(-1, 3).abs().max().item<double>(), 0.0);
  // The whole network trains through this attention.
  torch::nn::functional::cross_entropy(out.logits.view({-1, 13}), tgt.view(-1)).backward();
  for (const auto& p : model->named_parameters())
    ASSERT_TRUE(p.value().grad().defined()) << type << " " << name << " " << p.key();
}

TEST_P(AttentionByName, WorksInRnnDecoder) { check_in_decoder("rnn", GetParam()); }
TEST_P(AttentionByName, WorksInTransformerDecoder) { check_in_decoder("transformer", GetParam()); }

INSTANTIATE_TEST_SUITE_P(AllRegistered, AttentionByName, ::testing::ValuesIn(attention_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// [batch, len, heads·d_k] -> [batch, heads, len, d_k], as MultiHeadAttention splits its heads.
torch::Tensor split_heads(const torch::Tensor& t, int64_t heads) {
  return t.view({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
}

TEST(MultiHeadAttention, EqualsTorchMultiheadAttention) {
  torch::manual_seed(4);
  const int64_t e = 8, h = 2;
  MultiHeadAttention ours(MultiHeadAttentionOptions(e, e, e, h));
  torch::nn::MultiheadAttention ref(torch::nn::MultiheadAttentionOptions(e, h));
  ours->eval();
  ref->eval();
  {
    torch::NoGradGuard g;
    ref->in_proj_weight.copy_(
        torch::cat({ours->q_proj->weight, ours->k_proj->weight, ours->v_proj->weight}, 0));
    ref->in_proj_bias.copy_(
        torch::cat({ours->q_proj->bias, ours->k_proj->bias, ours->v_proj->bias}, 0));
    ref->out_proj->weight.copy_(ours->out_proj->weight);
    ref->out_proj->bias.copy_(ours->out_proj->bias);
  }
  auto q = torch::randn({kB, kT, e});
  auto kv = torch::randn({kB, kS, e});
  auto mask = padding_mask();  // [batch, 1, src_len]
  auto mine = ours->forward(q, kv, kv, mask);
  auto theirs = ref->forward(q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1),
                             mask.squeeze(1).logical_not());
  auto ref_out = std::get<0>(theirs).transpose(0, 1);  // [batch, tgt_len, e]
  auto ref_w = std::get<1>(theirs);                    // [batch, tgt_len, src_len], head mean
  EXPECT_LT((mine.context - ref_out).abs().max().item<double>(), 1e-5);
  EXPECT_LT((mine.weights.mean(1) - ref_w).abs().max().item<double>(), 1e-5);
}

// self_attend (one product for Q, K and V) and precompute (one for K and V of the same tensor)
// give the outputs and gradients of three separate projections.
TEST(MultiHeadAttention, StackedProjectionsEqualSeparateOnes) {
  torch::manual_seed(6);
  const int64_t e = 8, h = 2, len = 5;
  MultiHeadAttention att(MultiHeadAttentionOptions(e, e, e, h));
  att->eval();                                                              // no dropout
  auto causal = torch::ones({len, len}, torch::kBool).tril().unsqueeze(0);  // [1, len, len]
  auto run = [&](int mode, torch::Tensor* x_grad, std::vector<torch::Tensor>* grads,
                 AttentionCache* kv) {
    auto x = torch::randn({3, len, e}, torch::TensorOptions().requires_grad(true));
    {
      torch::manual_seed(7);
      torch::NoGradGuard g;
      x.copy_(torch::randn({3, len, e}));
    }
    AttentionOutput out;
    if (mode == 0) {  // reference: three separate products
      AttentionCache c{split_heads(att->k_proj(x), h), split_heads(att->v_proj(x), h)};
      out = att->attend(x, c, causal);
      *kv = c;
    } else if (mode == 1) {
      out = att->self_attend(x, causal, kv);
    } else {
      *kv = att->precompute(x, x);
      out = att->attend(x, *kv, causal);
    }
    auto upstream = torch::linspace(-1, 1, out.context.numel()).view(out.context.sizes());
    att->zero_grad();
    (out.context * upstream).sum().backward();
    *x_grad = x.grad().clone();
    grads->clear();
    for (auto& p : att->parameters()) grads->push_back(p.grad().clone());
    return out;
  };
  torch::Tensor gx0, gx1, gx2;
  std::vector<torch::Tensor> g0, g1, g2;
  AttentionCache kv0, kv1, kv2;
  auto ref = run(0, &gx0, &g0, &kv0);
  for (int mode : {1, 2}) {
    auto& gx = mode == 1 ? gx1 : gx2;
    auto& g = mode == 1 ? g1 : g2;
    auto& kv = mode == 1 ? kv1 : kv2;
    auto out = run(mode, &gx, &g, &kv);
    EXPECT_LT((out.context - ref.context).abs().max().item<double>(), 1e-6) << "mode " << mode;
    EXPECT_LT((out.weights - ref.weights).abs().max().item<double>(), 1e-6) << "mode " << mode;
    EXPECT_LT((kv.keys - kv0.keys).abs().max().item<double>(), 1e-6) << "mode " << mode;
    EXPECT_LT((kv.values - kv0.values).abs().max().item<double>(), 1e-6) << "mode " << mode;
    EXPECT_LT((gx - gx0).abs().max().item<double>(), 1e-5) << "mode " << mode;
    ASSERT_EQ(g.size(), g0.size());
    for (size_t i = 0; i < g.size(); ++i)
      EXPECT_LT((g[i] - g0[i]).abs().max().item<double>(), 1e-5) << "mode " << mode << " p " << i;
  }
  // The gradients are not trivially zero (the check has teeth).
  EXPECT_GT(gx0.abs().sum().item<double>(), 0.1);
  MultiHeadAttention cross(MultiHeadAttentionOptions(8, 6, 8, 2));
  EXPECT_THROW(cross->self_attend(torch::randn({1, 2, 8}), {}), std::invalid_argument);
}

// Without gradient recording the stacked weights are kept between calls (decoding): a weight
// changed in place (an optimizer step, loading a checkpoint) or replaced must be seen by the
// next call, in self_attend (Q|K|V) and precompute (K|V) alike.
TEST(MultiHeadAttention, KeptStackedWeightsFollowWeightChanges) {
  torch::manual_seed(8);
  const int64_t e = 8, h = 2, len = 4;
  MultiHeadAttention att(MultiHeadAttentionOptions(e, e, e, h));
  att->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({2, len, e});
  auto separate = [&] {  // reference: three separate products, nothing kept
    AttentionCache c{split_heads(att->k_proj(x), h), split_heads(att->v_proj(x), h)};
    return std::make_pair(att->attend(x, c, {}).context, c.keys);
  };
  auto check = [&](const char* when) {
    auto [ref_context, ref_keys] = separate();
    auto stacked = att->self_attend(x, {}).context;
    auto kv = att->precompute(x, x);
    EXPECT_LT((stacked - ref_context).abs().max().item<double>(), 1e-6) << when;
    EXPECT_LT((kv.keys - ref_keys).abs().max().item<double>(), 1e-6) << when;
  };
  check("first call");
  check("second call (kept stacks)");
  att->v_proj->weight.mul_(-2.0);  // in place: the version changes
  att->k_proj->bias.add_(1.0);
  check("after in-place changes");
  att->q_proj->weight.set_data(torch::randn({e, e}));  // new storage
  att->k_proj->weight.set_data(torch::randn({e, e}));
  check("after replaced weights");
}

TEST(MultiHeadAttention, CausalMaskZerosTheFuture) {
  torch::manual_seed(5);
  MultiHeadAttention att(MultiHeadAttentionOptions(8, 8, 8, 2));
  auto x = torch::randn({2, 6, 8});
  auto causal = torch::ones({6, 6}, torch::kBool).tril().unsqueeze(0);  // [1, 6, 6]
  auto w = att->forward(x, x, x, causal).weights;                       // [2, 2, 6, 6]
  EXPECT_EQ(
      w.masked_select(causal.logical_not().unsqueeze(0).expand_as(w)).abs().max().item<double>(),
      0.0);
  EXPECT_LT((w.sum(-1) - 1).abs().max().item<double>(), 1e-5);
}

// The fused additive score node against the unfused ops: values and the gradients of wq, uk and
// v, for one query step (the Bahdanau decoder) and several (teacher-forced attention).
TEST(AdditiveAttention, FusedScoresEqualTheUnfusedOps) {
  torch::manual_seed(8);
  for (int64_t T : {1, 3}) {
    auto wq0 = torch::randn({4, T, 33}), uk0 = torch::randn({4, 7, 33}), v0 = torch::randn({33});
    auto g = torch::randn({4, T, 7});
    auto wq1 = wq0.clone().requires_grad_(true), uk1 = uk0.clone().requires_grad_(true),
         v1 = v0.clone().requires_grad_(true);
    auto wq2 = wq0.clone().requires_grad_(true), uk2 = uk0.clone().requires_grad_(true),
         v2 = v0.clone().requires_grad_(true);
    auto fused = additive_scores(wq1, uk1, v1);
    auto ref = torch::matmul(torch::tanh(wq2.unsqueeze(2) + uk2.unsqueeze(1)), v2);
    ASSERT_EQ(fused.sizes(), ref.sizes());
    EXPECT_LT((fused - ref).abs().max().item<double>(), 1e-5) << "T " << T;
    (fused * g).sum().backward();
    (ref * g).sum().backward();
    EXPECT_LT((wq1.grad() - wq2.grad()).abs().max().item<double>(), 1e-5) << "T " << T;
    EXPECT_LT((uk1.grad() - uk2.grad()).abs().max().item<double>(), 1e-5) << "T " << T;
    EXPECT_LT((v1.grad() - v2.grad()).abs().max().item<double>(), 1e-4) << "T " << T;
    EXPECT_GT(uk2.grad().abs().sum().item<double>(), 1.0);
  }
  EXPECT_THROW(additive_scores(torch::randn({2, 1, 4}), torch::randn({2, 3, 5}), torch::randn({4})),
               std::invalid_argument);
}

TEST(AttentionRegistry, UnknownNameListsChoices) {
  AttentionConfig c = small_config("bahdanau");
  c.type = "luong-fancy";
  try {
    make_attention(c);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("luong-fancy"), std::string::npos) << msg;
    for (const auto& n : attention_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
}

TEST(AttentionRegistry, BadSizesThrow) {
  AttentionConfig c = small_config("luong-dot");
  c.query_dim = 6;  // != key_dim 8
  EXPECT_THROW(make_attention(c), std::invalid_argument);
  c = small_config("multihead");
  c.heads = 3;  // does not divide 8
  EXPECT_THROW(make_attention(c), std::invalid_argument);
  c = small_config("local-p");
  c.window = 0;
  EXPECT_THROW(make_attention(c), std::invalid_argument);
}

TEST(AttentionPrecompute, AdditiveProjectsKeysOnceAndReusesThem) {
  torch::manual_seed(6);
  auto att = make_attention(small_config("bahdanau"));
  auto q = torch::randn({kB, kT, 6});
  auto k = torch::randn({kB, kS, 8});
  auto cache = att->precompute(k, k);
  EXPECT_EQ(cache.keys.sizes(), torch::IntArrayRef({kB, kS, 6}));  // U k: [b, s, hidden]
  // Step-by-step attention with the cache equals attending all queries at once.
  auto all = att->attend(q, cache, padding_mask());
  for (int64_t t = 0; t < kT; ++t) {
    auto one = att->attend(q.slice(1, t, t + 1), cache, padding_mask());
    EXPECT_LT((one.context.squeeze(1) - all.context.select(1, t)).abs().max().item<double>(), 1e-6);
  }
}

}  // namespace
}  // namespace tinynmt

TEST(MaskedSoftmax, BlockedPositionsAreZeroAndGradientsEqualTheMaskedFillForm) {
  torch::manual_seed(4);
  auto base = torch::randn({3, 2, 4, 6});
  // [batch, 1, 1, src] padding mask; batch 2 has every source position blocked.
  auto mask = torch::ones({3, 1, 1, 6}, torch::kBool);
  mask.index_put_({0, 0, 0, torch::indexing::Slice(4)}, false);
  mask.index_put_({2}, false);
  auto x1 = base.clone().requires_grad_(true), x2 = base.clone().requires_grad_(true);
  auto w = tinynmt::masked_softmax(x1, mask);
  auto blocked = mask.logical_not().expand_as(w);
  EXPECT_EQ(w.masked_select(blocked).abs().max().item<float>(), 0.0f);
  EXPECT_FALSE(w.isnan().any().item<bool>());
  auto sums = w.sum(-1);
  EXPECT_NEAR(sums.index({0}).min().item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(sums.index({1}).min().item<float>(), 1.0f, 1e-6);
  EXPECT_EQ(sums.index({2}).abs().max().item<float>(), 0.0f);  // fully masked: zeros
  // Reference: fill with -inf, softmax, zero the blocked positions.
  auto ref = torch::softmax(x2.masked_fill(mask.logical_not(), -INFINITY), -1)
                 .masked_fill(mask.logical_not(), 0.0);
  auto g = torch::randn_like(base);
  (w * g).sum().backward();
  (ref * g).sum().backward();
  EXPECT_LT((w - ref).abs().max().item<float>(), 1e-6f);
  auto g2 = x2.grad().nan_to_num(0.0);  // the reference's fully masked row back-propagates NaN
  EXPECT_LT((x1.grad() - g2).abs().index({torch::indexing::Slice(0, 2)}).max().item<float>(),
            1e-6f);
  EXPECT_FALSE(x1.grad().isnan().any().item<bool>());
}

// packed_attention against the unfused ops (scaled scores, masked_softmax, dropout_mask, context),
// values and the gradients of both buffers: self-attention (Q, K, V in one buffer, in a shuffled
// column order) with a causal mask, and cross-attention (Q in a buffer with unused columns, K|V in
// another) with a padding mask that blocks one batch item entirely; dropout on the weights.
namespace tinynmt {
namespace {

TEST(PackedAttention, EqualsTheUnfusedOps) {
  torch::manual_seed(9);
  const int64_t b = 3, h = 2, dk = 4, d = h * dk;
  const double scale = 0.5;
  const uint64_t seed = 1234;
  for (double p : {0.0, 0.3}) {
    for (bool self : {true, false}) {
      const int64_t T = 5, S = self ? T : 7;
      // Layout: self [Q at d, K at 2d, V at 0]; cross: Q at 3 of d + 3 columns, K at d, V at 0.
      const PackedHeads layout =
          self ? PackedHeads{h, dk, d, 2 * d, 0} : PackedHeads{h, dk, 3, d, 0};
      auto q0 = torch::randn({b, T, self ? 3 * d : d + 3});
      auto kv0 = self ? torch::Tensor() : torch::randn({b, S, 2 * d});
      torch::Tensor mask;
      if (self) {
        mask = torch::ones({T, T}, torch::kBool).tril().unsqueeze(0);  // [1, T, T]
      } else {
        mask = torch::ones({b, 1, S}, torch::kBool);
        mask[0].narrow(-1, 4, 3).fill_(false);  // padding
        mask[1].fill_(false);                   // no position at all: all-zero weights
      }
      auto upstream = torch::randn({b, T, d});
      // Packed.
      auto q1 = q0.clone().requires_grad_(true);
      auto kv1 = self ? torch::Tensor() : kv0.clone().requires_grad_(true);
      auto [ctx1, w1] = packed_attention(q1, kv1, layout, mask, scale, p, seed);
      (ctx1 * upstream).sum().backward();
      // Unfused.
      auto q2 = q0.clone().requires_grad_(true);
      auto kv2 = self ? torch::Tensor() : kv0.clone().requires_grad_(true);
      const auto& kvsrc = self ? q2 : kv2;
      auto q = split_heads(q2.narrow(-1, layout.q_offset, d), h);
      auto k = split_heads(kvsrc.narrow(-1, layout.k_offset, d), h);
      auto v = split_heads(kvsrc.narrow(-1, layout.v_offset, d), h);
      auto w2 = masked_softmax(torch::matmul(q, k.transpose(2, 3)) * scale, mask_for_heads(mask));
      auto dropped = p > 0 ? w2 * dropout_mask(w2, p, seed) : w2;
      auto ctx2 = torch::matmul(dropped, v).transpose(1, 2).reshape({b, T, d});
      (ctx2 * upstream).sum().backward();
      const std::string what = std::string(self ? "self" : "cross") + " p " + std::to_string(p);
      ASSERT_EQ(ctx1.sizes(), ctx2.sizes()) << what;
      ASSERT_EQ(w1.sizes(), w2.sizes()) << what;
      EXPECT_LT((ctx1 - ctx2).abs().max().item<double>(), 1e-6) << what;
      EXPECT_LT((w1 - w2).abs().max().item<double>(), 1e-6) << what;
      EXPECT_FALSE(w1.requires_grad()) << what;
      EXPECT_LT((q1.grad() - q2.grad()).abs().max().item<double>(), 1e-5) << what;
      EXPECT_GT(q1.grad().abs().sum().item<double>(), 0.1) << what;  // the check has teeth
      if (!self) {
        EXPECT_LT((kv1.grad() - kv2.grad()).abs().max().item<double>(), 1e-5) << what;
        EXPECT_EQ(q1.grad().narrow(-1, 0, 3).abs().max().item<double>(), 0.0) << what;
        EXPECT_EQ(w1[1].abs().max().item<double>(), 0.0) << what;  // the blocked batch item
        EXPECT_EQ(kv1.grad()[1].abs().max().item<double>(), 0.0) << what;
      }
      if (p > 0) {  // the dropout took effect: the context differs from the undropped one
        torch::NoGradGuard ng;
        auto plain = packed_attention(q0, kv0, layout, mask, scale, 0.0, seed).first;
        EXPECT_GT((plain - ctx1).abs().max().item<double>(), 1e-3) << what;
      }
    }
  }
  // Heads that do not fit the buffer, and a mask of the wrong length, are refused.
  auto x = torch::randn({2, 3, 24});
  EXPECT_THROW(packed_attention(x, {}, {2, 4, 20, 0, 8}, {}, 1.0, 0.0, 0), std::invalid_argument);
  EXPECT_THROW(
      packed_attention(x, {}, {2, 4, 0, 8, 16}, torch::ones({2, 4}, torch::kBool), 1.0, 0.0, 0),
      std::invalid_argument);
}

}  // namespace
}  // namespace tinynmt
