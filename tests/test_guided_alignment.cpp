// train/guided_alignment and the guided head of the Transformer (Garg et al. 2019): guidance
// matrix, loss value and gradient, the head's weights, λ = 0, and learning on the copy task.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <stdexcept>

#include "data/batching.h"
#include "decode/forced_decode.h"
#include "models/special_ids.h"
#include "synthetic_tasks.h"
#include "train/guided_alignment.h"
#include "train/train_step.h"

namespace tinynmt {
namespace {

using align::PieceLinks;

TEST(GuidedAlignment, GuidanceMatrixRowsAreUniformOverLinkedPieces) {
  // Target piece 0 -> source 0; piece 1 -> sources 1, 2, 3; piece 2 -> none.
  const std::vector<PieceLinks> links = {{{0, 0}, {1, 1}, {2, 1}, {3, 1}}, {}};
  EXPECT_EQ(supervised_rows(links[0]), 2);
  EXPECT_EQ(supervised_rows(links[1]), 0);
  auto g = guidance_matrix(links, {1, 0}, /*tgt_len=*/4, /*src_len=*/5);  // [2, 4, 5]
  ASSERT_EQ(g.sizes(), torch::IntArrayRef({2, 4, 5}));
  EXPECT_EQ(g[0].abs().sum().item<float>(), 0.0f);  // example 1: no links
  auto expected = torch::zeros({4, 5});
  expected[0][0] = 1.0f;
  expected.index_put_({1, torch::indexing::Slice(1, 4)}, 1.0f / 3);
  EXPECT_TRUE(torch::allclose(g[1], expected));  // rows 2 (unlinked), 3 (EOS) and column 4 zero
  EXPECT_THROW(guidance_matrix(links, {0}, 1, 5), std::invalid_argument);
}

TEST(GuidedAlignment, NullColumnTakesTheUnlinkedPiecesOfALinkedPair) {
  // Example 0: 3 target pieces, piece 1 linked to source 0, pieces 0 and 2 unlinked; source EOS
  // at column 2. Example 1: no links at all, so no NULL rows either.
  const std::vector<PieceLinks> links = {{{0, 1}}, {}};
  EXPECT_EQ(supervised_rows(links[0], 3), 3);
  EXPECT_EQ(supervised_rows(links[1], 3), 0);
  const std::vector<NullColumn> null = {{3, 2}, {2, 1}};
  auto g = guidance_matrix(links, {0, 1}, /*tgt_len=*/4, /*src_len=*/3, null);  // [2, 4, 3]
  auto expected = torch::zeros({4, 3});
  expected[0][2] = 1.0f;  // unlinked piece 0 -> EOS
  expected[1][0] = 1.0f;  // the link
  expected[2][2] = 1.0f;  // unlinked piece 2 -> EOS; row 3 (target EOS) stays 0
  EXPECT_TRUE(torch::allclose(g[0], expected)) << g[0];
  EXPECT_EQ(g[1].abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(guidance_matrix(links, {0, 1}, 4, 3, {{3, 2}}), std::invalid_argument);
  EXPECT_THROW(guidance_matrix(links, {0}, 4, 3, {{3, 3}}), std::invalid_argument);  // no column 3
  EXPECT_THROW(guidance_matrix(links, {0}, 2, 3, {{3, 2}}), std::invalid_argument);  // 3 rows > 2
}

TEST(GuidedAlignment, LossValueAndGradientMatchTheClosedForm) {
  // One sentence, two target rows over three source columns; the last column is masked.
  auto scores = torch::tensor({{0.5f, -1.0f, 2.0f}, {0.1f, 0.2f, 0.3f}}).unsqueeze(0);
  scores = scores.masked_fill(torch::tensor({false, false, true}), -INFINITY);
  scores.requires_grad_(true);
  auto log_a = torch::log_softmax(scores, -1);  // [1, 2, 3]
  auto g = torch::tensor({{0.5f, 0.5f, 0.0f}, {0.0f, 0.0f, 0.0f}}).unsqueeze(0);
  auto loss = guided_alignment_loss(log_a, g);
  const double e = std::exp(0.5), f = std::exp(-1.0);
  const double a0 = e / (e + f), a1 = f / (e + f);
  EXPECT_NEAR(loss.item<double>(), -0.5 * (std::log(a0) + std::log(a1)), 1e-6);
  loss.backward();
  // d/ds_j [-Σ_k g_k log softmax(s)_k] = softmax(s)_j Σ_k g_k - g_j; 0 for an unsupervised row.
  auto expected =
      torch::tensor({{a0 - 0.5, a1 - 0.5, 0.0}, {0.0, 0.0, 0.0}}).unsqueeze(0).to(torch::kDouble);
  EXPECT_TRUE(torch::allclose(scores.grad().to(torch::kDouble), expected, 1e-6, 1e-7))
      << scores.grad();
  EXPECT_THROW(guided_alignment_loss(log_a, g.squeeze(0)), std::invalid_argument);
}

std::shared_ptr<Seq2SeqImpl> tiny_model(int64_t dec_layers) {
  auto cfg = synthetic::transformer("multihead");
  cfg.decoder.layers = dec_layers;
  torch::manual_seed(3);
  return make_seq2seq(cfg, synthetic::kVocab, synthetic::kVocab);
}

TEST(GuidedAlignment, HeadWeightsAreTheCrossAttentionOfThatHead) {
  auto model = tiny_model(2);
  model->eval();
  std::mt19937 rng(5);
  auto b = synthetic::make_batch(rng, 4, false);
  auto plain = model->forward(b.src, b.tgt_in).attention;  // [b, L, H, T, S]
  for (int64_t layer : {0, 1}) {
    for (int64_t head : {0, 1}) {
      auto out = model->forward_features_guided(b.src, b.tgt_in, {layer, head, false});
      EXPECT_TRUE(torch::allclose(out.guided_log_attention.exp(),
                                  plain.select(1, layer).select(1, head), 1e-5, 1e-6));
    }
  }
  EXPECT_THROW(model->forward_features_guided(b.src, b.tgt_in, {2, 0, false}),
               std::invalid_argument);
  EXPECT_THROW(model->forward_features_guided(b.src, b.tgt_in, {0, 2, false}),
               std::invalid_argument);
  auto rnn = make_seq2seq(synthetic::rnn("bahdanau"), synthetic::kVocab, synthetic::kVocab);
  EXPECT_THROW(rnn->forward_features_guided(b.src, b.tgt_in, {}), std::invalid_argument);
}

// One sentence of ids: [1, n] int64.
torch::Tensor ids(std::vector<int64_t> v) { return torch::tensor(v).unsqueeze(0); }

TEST(GuidedAlignment, FullContextSeesTheWholeTarget) {
  auto model = tiny_model(1);
  model->eval();
  // One sentence without padding: its last row sees the whole target either way.
  auto src = ids({5, 6, 7, 8, kEosId});
  auto tgt_in = ids({kBosId, 9, 10, 11});
  auto causal = model->forward_features_guided(src, tgt_in, {0, 1, false}).guided_log_attention;
  auto full = model->forward_features_guided(src, tgt_in, {0, 1, true}).guided_log_attention;
  EXPECT_TRUE(torch::allclose(causal[0][3], full[0][3], 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(causal[0][0], full[0][0], 1e-3, 1e-4));
  // Target padding stays invisible: a padded copy gives the same rows.
  auto padded = model->forward_features_guided(src, ids({kBosId, 9, 10, 11, kPadId}), {0, 1, true})
                    .guided_log_attention;
  EXPECT_TRUE(torch::allclose(padded[0].slice(0, 0, 4), full[0], 1e-5, 1e-6));
}

TEST(GuidedAlignment, ForcedDecodingReadsTheFullContextHead) {
  auto model = tiny_model(2);
  model->eval();
  std::mt19937 rng(9);
  auto b = synthetic::make_batch(rng, 3, false);
  const GuidedHead head{0, 1, true};
  auto plain = decode::forced_decode(*model, b.src, b.src.ne(kPadId), b.tgt_in, b.tgt_out);
  decode::ForcedDecodeOptions fo;
  fo.full_context = &head;
  auto full = decode::forced_decode(*model, b.src, b.src.ne(kPadId), b.tgt_in, b.tgt_out, fo);
  auto expected = model->forward_features_guided(b.src, b.tgt_in, head).guided_log_attention.exp();
  for (size_t i = 0; i < plain.size(); ++i) {
    const int64_t t = b.lengths[i] + 1, s = b.lengths[i] + 1;  // pieces + EOS
    auto want = expected[static_cast<int64_t>(i)].slice(0, 0, t).slice(1, 0, s);
    EXPECT_TRUE(torch::allclose(full[i].attention[0][1], want, 1e-5, 1e-6));
    EXPECT_FALSE(torch::allclose(plain[i].attention[0][1], want, 1e-3, 1e-4));
    EXPECT_TRUE(torch::equal(full[i].attention[1], plain[i].attention[1]));        // other layer
    EXPECT_TRUE(torch::equal(full[i].attention[0][0], plain[i].attention[0][0]));  // other head
    EXPECT_EQ(full[i].score, plain[i].score);
  }
}

Batch to_batch(const synthetic::Batch& s) {
  Batch b;
  b.src = s.src;
  b.src_mask = s.src.ne(kPadId);
  b.tgt_in = s.tgt_in;
  b.tgt_out = s.tgt_out;
  b.num_tgt_tokens = s.tgt_out.ne(kPadId).sum().item<int64_t>();
  for (int64_t i = 0; i < s.src.size(0); ++i) b.indices.push_back(i);
  return b;
}

TEST(GuidedAlignment, NullColumnsPointAtTheEosOfTheBatchTensors) {
  // Three pairs of different lengths, batched out of order as the trainer does: each row's NULL
  // column must hold that row's source EOS, and its target pieces end where tgt_out has EOS.
  EncodedCorpus c;
  c.src = {{10, 11, kEosId}, {12, 13, 14, 15, 16, kEosId}, {17, kEosId}};
  c.tgt = {{20, 21, 22, 23}, {24}, {25, 26}};
  const std::vector<int64_t> rows = {2, 0, 1};
  const Batch b = make_batch(c, rows);
  const auto null = null_columns(c, rows);
  ASSERT_EQ(null.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto i = static_cast<int64_t>(r);
    EXPECT_EQ(b.src[i][null[r].src_eos].item<int64_t>(), kEosId) << "row " << r;
    EXPECT_EQ(b.tgt_out[i][null[r].tgt_pieces].item<int64_t>(), kEosId) << "row " << r;
  }
  // Pair 0's piece 1 linked to source 0: its pieces 0, 2 and 3 go to its EOS, column 2.
  const std::vector<PieceLinks> links = {{{0, 1}}, {{4, 0}}, {}};
  const auto g = guidance_matrix(links, rows, b.tgt_out.size(1), b.src.size(1), null);
  auto expected = torch::zeros({b.tgt_out.size(1), b.src.size(1)});
  expected[1][0] = 1.0f;
  for (int t : {0, 2, 3}) expected[t][2] = 1.0f;
  EXPECT_TRUE(torch::equal(g[1], expected));
  EXPECT_EQ(g[0].sum().item<float>(), 0.0f);  // pair 2: no links, no NULL rows
  EXPECT_EQ(g[2].sum().item<float>(), 1.0f);  // pair 1: its one piece is linked
  EXPECT_THROW(null_columns(c, {3}), std::out_of_range);
}

// Links of the anti-diagonal: target piece j <-> source piece len-1-j.
std::vector<PieceLinks> anti_diagonal(const synthetic::Batch& s) {
  std::vector<PieceLinks> out;
  for (int64_t len : s.lengths) {
    PieceLinks l;
    for (int64_t j = 0; j < len; ++j) l.emplace_back(static_cast<int32_t>(len - 1 - j), j);
    out.push_back(l);
  }
  return out;
}

// With `null`: the anti-diagonal links of the even target pieces only, the odd ones supervised
// onto the source EOS (column len: the pieces, then EOS).
GuidedTerm term_for(const synthetic::Batch& s, double weight, const GuidedHead& head,
                    bool null = false) {
  auto links = anti_diagonal(s);
  std::vector<NullColumn> columns;
  if (null) {
    for (size_t i = 0; i < links.size(); ++i) {
      auto odd = [](const auto& l) { return l.second % 2 == 1; };
      links[i].erase(std::remove_if(links[i].begin(), links[i].end(), odd), links[i].end());
      columns.push_back({s.lengths[i], s.lengths[i]});
    }
  }
  const auto b = to_batch(s);
  GuidedTerm g;
  g.head = head;
  g.guidance = guidance_matrix(links, b.indices, s.tgt_out.size(1), s.src.size(1), columns);
  g.weight = weight;
  int64_t rows = 0;
  for (size_t i = 0; i < links.size(); ++i)
    rows += supervised_rows(links[i], null ? s.lengths[i] : 0);
  g.normaliser = static_cast<double>(rows);
  return g;
}

std::vector<torch::Tensor> gradients(Seq2SeqImpl& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : p.grad());
  for (auto& p : m.parameters()) p.mutable_grad() = torch::Tensor();
  return out;
}

TEST(GuidedAlignment, ZeroWeightGivesThePlainLossAndGradients) {
  auto model = tiny_model(2);
  std::mt19937 rng(7);
  const auto s = synthetic::make_batch(rng, 6, false);
  const auto b = to_batch(s);
  const double n = static_cast<double>(b.num_tgt_tokens);
  auto plain = forward_backward(*model, b, 0.1, n);
  auto plain_grads = gradients(*model);
  for (bool full : {false, true}) {
    const auto term = term_for(s, 0.0, {0, 1, full});
    torch::Tensor guided_sum;
    auto zero = forward_backward(*model, b, 0.1, n, false, &term, &guided_sum);
    auto zero_grads = gradients(*model);
    EXPECT_TRUE(torch::equal(plain, zero));
    ASSERT_EQ(plain_grads.size(), zero_grads.size());
    for (size_t k = 0; k < plain_grads.size(); ++k)
      EXPECT_TRUE(torch::equal(plain_grads[k], zero_grads[k])) << "parameter " << k;
    EXPECT_GT(guided_sum.item<double>(), 0.0);
  }
  // λ > 0 changes the gradients of the cross-attention, by λ/N times the guided gradient.
  const auto term = term_for(s, 0.5, {0, 1, false});
  forward_backward(*model, b, 0.1, n, false, &term);
  auto guided_grads = gradients(*model);
  double diff = 0;
  for (size_t k = 0; k < plain_grads.size(); ++k)
    diff += (guided_grads[k] - plain_grads[k]).abs().sum().item<double>();
  EXPECT_GT(diff, 1e-4);
}

// Fraction of real target rows (of parity `parity`, or all with -1) whose argmax in the guided
// head is the anti-diagonal column, or with `on_eos` the source EOS column.
double anti_diagonal_share(Seq2SeqImpl& model, const synthetic::Batch& s, const GuidedHead& h,
                           int parity = -1, bool on_eos = false) {
  torch::NoGradGuard no_grad;
  model.eval();
  auto log_a = model.forward_features_guided(s.src, s.tgt_in, h).guided_log_attention;
  model.train();
  auto argmax = log_a.argmax(-1);  // [batch, T]
  int64_t hits = 0, rows = 0;
  for (size_t i = 0; i < s.lengths.size(); ++i) {
    const int64_t len = s.lengths[i];
    for (int64_t j = 0; j < len; ++j) {
      if (parity >= 0 && j % 2 != parity) continue;
      ++rows;
      hits += argmax[static_cast<int64_t>(i)][j].item<int64_t>() == (on_eos ? len : len - 1 - j);
    }
  }
  return static_cast<double>(hits) / static_cast<double>(rows);
}

TEST(GuidedAlignment, AntiDiagonalLinksMoveTheHeadOnTheCopyTask) {
  torch::set_num_threads(1);
  auto model = tiny_model(2);
  const GuidedHead head{0, 1, false};  // the penultimate layer of two
  std::mt19937 rng(11);
  const auto test = synthetic::make_batch(rng, 100, false);
  const double before = anti_diagonal_share(*model, test, head);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(2e-3));
  const auto start = std::chrono::steady_clock::now();
  const int64_t steps = 300;
  for (int64_t step = 0; step < steps; ++step) {
    const auto s = synthetic::make_batch(rng, 32, false);
    const auto b = to_batch(s);
    const auto term = term_for(s, 1.0, head);
    opt.zero_grad();
    forward_backward(*model, b, 0.0, static_cast<double>(b.num_tgt_tokens), false, &term);
    opt.step();
  }
  const double after = anti_diagonal_share(*model, test, head);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ guided ] copy task, anti-diagonal links: " << steps << " steps, " << secs
            << " s; rows on the anti-diagonal " << before << " -> " << after << "\n";
  EXPECT_LT(before, 0.5);
  EXPECT_GE(after, 0.9);
}

TEST(GuidedAlignment, NullColumnLeavesTheUnlinkedRowsOnEos) {
  // Only the even target pieces are linked (anti-diagonal); with null_to_eos the odd ones learn
  // to attend to the source EOS, which `align --method argmax-null` reads as "no link".
  torch::set_num_threads(1);
  auto model = tiny_model(2);
  const GuidedHead head{0, 1, false};
  std::mt19937 rng(13);
  const auto test = synthetic::make_batch(rng, 100, false);
  const double odd_before = anti_diagonal_share(*model, test, head, 1, true);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(2e-3));
  for (int64_t step = 0; step < 600; ++step) {
    const auto s = synthetic::make_batch(rng, 32, false);
    const auto b = to_batch(s);
    const auto term = term_for(s, 1.0, head, /*null=*/true);
    opt.zero_grad();
    forward_backward(*model, b, 0.0, static_cast<double>(b.num_tgt_tokens), false, &term);
    opt.step();
  }
  const double even = anti_diagonal_share(*model, test, head, 0);
  const double odd = anti_diagonal_share(*model, test, head, 1, true);
  std::cout << "[ guided ] copy task, even pieces linked, odd ones on EOS: even rows on the "
               "anti-diagonal "
            << even << ", odd rows on EOS " << odd_before << " -> " << odd << "\n";
  EXPECT_LT(odd_before, 0.5);
  EXPECT_GE(even, 0.9);
  EXPECT_GE(odd, 0.9);
}

}  // namespace
}  // namespace tinynmt
