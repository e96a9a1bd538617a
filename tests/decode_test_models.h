// Two small hand-written Seq2Seq models for the search tests: a table model whose next-token
// log-probs are a fixed function of (sentence variant, step, previous token), and a tiny GRU
// model with two layers of two-head dot-product attention whose forward() (batched attention over
// all steps) and decode_step() are separate code paths that agree.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt::decode {

// Pads id sequences into src [batch, width] and src_mask [batch, width] (width >= longest).
inline std::pair<torch::Tensor, torch::Tensor> make_src(
    const std::vector<std::vector<int64_t>>& sents, int64_t extra_pad = 0) {
  size_t width = 0;
  for (const auto& s : sents) width = std::max(width, s.size());
  auto w = static_cast<int64_t>(width) + extra_pad;
  auto src = torch::full({static_cast<int64_t>(sents.size()), w}, kPadId, torch::kLong);
  for (size_t i = 0; i < sents.size(); ++i)
    for (size_t j = 0; j < sents[i].size(); ++j) src[i][j] = sents[i][j];
  return {src, src.ne(kPadId)};
}

// Log-probs = log_softmax(table[variant][min(step, T-1)][prev]), variant = src[:, 0] % variants.
// Attention of head h: one-hot at (step + prev + h) % src_len, so it depends on the history.
class TableModelImpl : public Seq2SeqImpl {
 public:
  explicit TableModelImpl(torch::Tensor logits) : table_(torch::log_softmax(logits, -1)) {}

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override {
    return {src_mask.to(torch::kFloat).unsqueeze(-1), src_mask, src, {}};
  }
  DecoderState init_state(const EncoderOutput& enc) override {
    DecoderState st;
    st.rows["variant"] = enc.final.select(1, 0).remainder(table_.size(0));  // [batch]
    st.rows["mask"] = enc.src_mask;                                         // [batch, S]
    return st;
  }
  StepOutput decode_step(const torch::Tensor& prev, DecoderState& st) override {
    const int64_t t = std::min<int64_t>(st.step, table_.size(1) - 1);
    auto lp = table_.index({st.rows["variant"], torch::full_like(prev, t), prev});  // [batch, V]
    auto lens = st.rows["mask"].sum(1);                                             // [batch]
    const int64_t S = st.rows["mask"].size(1);
    std::vector<torch::Tensor> heads;
    for (int64_t h = 0; h < 2; ++h) {
      auto pos = (prev + st.step + h).remainder(lens);            // [batch]
      heads.push_back(torch::one_hot(pos, S).to(torch::kFloat));  // [batch, S]
    }
    st.step += 1;
    return {lp, torch::stack(heads, 1).unsqueeze(1)};  // [batch, 1, 2, S]
  }
  Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) override {
    auto st = init_state(encode(src, src.ne(kPadId)));
    std::vector<torch::Tensor> lps, atts;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      auto o = decode_step(tgt_in.select(1, t), st);
      lps.push_back(o.log_probs);
      atts.push_back(o.attention);
    }
    return {torch::stack(lps, 1), torch::stack(atts, 3), {}, {}, {}};  // [B, T, V], [B, 1, 2, T, S]
  }
  int64_t attention_layers() const override { return 1; }
  int64_t attention_heads() const override { return 2; }

 private:
  torch::Tensor table_;  // [variants, steps, V, V] log-probs
};

// Tiny GRU encoder-decoder with two layers of two-head scaled dot-product attention.
class TinyAttnModelImpl : public Seq2SeqImpl {
 public:
  static constexpr int64_t kD = 16, kHeads = 2, kLayers = 2;
  TinyAttnModelImpl(int64_t src_vocab, int64_t tgt_vocab, uint64_t seed) {
    torch::manual_seed(seed);
    src_emb_ = register_module("src_emb", torch::nn::Embedding(src_vocab, kD));
    enc_proj_ = register_module("enc_proj", torch::nn::Linear(kD, kD));
    bridge_ = register_module("bridge", torch::nn::Linear(kD, kD));
    tgt_emb_ = register_module("tgt_emb", torch::nn::Embedding(tgt_vocab, kD));
    cell_ = register_module("cell", torch::nn::GRUCell(kD, kD));
    for (int64_t l = 0; l < kLayers; ++l)
      query_.push_back(
          register_module("q" + std::to_string(l), torch::nn::Linear(kD, kHeads * kD)));
    out_ = register_module("out", torch::nn::Linear((1 + kLayers) * kD, tgt_vocab));
    torch::NoGradGuard ng;  // sharper attention and output distributions than default init
    for (auto& q : query_) q->weight.mul_(4.0);
    out_->weight.mul_(6.0);
    eval();
  }

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override {
    auto states = torch::tanh(enc_proj_(src_emb_(src)));  // [B, S, D]
    return {states, src_mask, {}, {}};
  }
  DecoderState init_state(const EncoderOutput& enc) override {
    auto m = enc.src_mask.to(torch::kFloat).unsqueeze(-1);          // [B, S, 1]
    auto mean = (enc.states * m).sum(1) / m.sum(1).clamp_min(1.0);  // [B, D]
    DecoderState st;
    st.rows["h"] = torch::tanh(bridge_(mean));  // [B, D]
    st.constants["enc"] = enc.states;           // [B, S, D], the same in every beam
    st.constants["mask"] = enc.src_mask;        // [B, S]
    return st;
  }
  StepOutput decode_step(const torch::Tensor& prev, DecoderState& st) override {
    auto h = cell_(tgt_emb_(prev), st.rows["h"]);  // [B, D]
    st.rows["h"] = h;
    auto r = attend(h.unsqueeze(1), st.constants["enc"], st.constants["mask"]);  // logits [B, 1, V]
    st.step += 1;
    return {torch::log_softmax(r.logits.squeeze(1), -1), r.attention.select(3, 0)};
  }
  Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) override {
    auto st = init_state(encode(src, src.ne(kPadId)));
    auto emb = tgt_emb_(tgt_in);  // [B, T, D]
    auto h = st.rows["h"];
    std::vector<torch::Tensor> hs;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      h = cell_(emb.select(1, t), h);
      hs.push_back(h);
    }
    // All T steps at once.
    auto r = attend(torch::stack(hs, 1), st.constants["enc"], st.constants["mask"]);
    return {r.logits, r.attention, {}, {}, {}};
  }
  int64_t attention_layers() const override { return kLayers; }
  int64_t attention_heads() const override { return kHeads; }

 private:
  struct Attended {
    torch::Tensor logits;     // [B, T, V]
    torch::Tensor attention;  // [B, layers, heads, T, S]
  };
  Attended attend(const torch::Tensor& hs, const torch::Tensor& enc, const torch::Tensor& mask) {
    const int64_t B = hs.size(0), T = hs.size(1);
    auto keys = enc.unsqueeze(1);                             // [B, 1, S, D]
    auto pad = mask.logical_not().unsqueeze(1).unsqueeze(1);  // [B, 1, 1, S]
    std::vector<torch::Tensor> feats{hs}, weights;
    auto query_in = hs;
    for (int64_t l = 0; l < kLayers; ++l) {
      auto q = query_[l](query_in).view({B, T, kHeads, kD}).permute({0, 2, 1, 3});  // [B,H,T,D]
      auto scores = torch::matmul(q, keys.transpose(-1, -2)) / std::sqrt(double(kD));
      auto w = torch::softmax(scores.masked_fill(pad, -INFINITY), -1);  // [B, H, T, S]
      auto ctx = torch::matmul(w, keys).mean(1);                        // [B, T, D]
      weights.push_back(w);
      feats.push_back(ctx);
      query_in = hs + ctx;
    }
    return {out_(torch::cat(feats, -1)), torch::stack(weights, 1)};  // [B,T,V], [B,L,H,T,S]
  }

  torch::nn::Embedding src_emb_{nullptr}, tgt_emb_{nullptr};
  torch::nn::Linear enc_proj_{nullptr}, bridge_{nullptr}, out_{nullptr};
  torch::nn::GRUCell cell_{nullptr};
  std::vector<torch::nn::Linear> query_;
};

}  // namespace tinynmt::decode
