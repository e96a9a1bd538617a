// Synthetic sequence tasks made in code, shared by the learning and beam-search tests: copy and
// reverse over 16 symbols, and small RNN and Transformer configs that learn them in seconds.
#pragma once

#include <torch/torch.h>

#include <random>
#include <string>
#include <vector>

#include "models/model_config.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt::synthetic {

constexpr int64_t kVocab = 20;  // 0-3 special, 4..19 symbols
constexpr int64_t kMinLen = 5, kMaxLen = 12;

struct Batch {
  torch::Tensor src, tgt_in, tgt_out;  // [batch, len] each, padded with kPadId
  std::vector<int64_t> lengths;        // symbols per sentence (without EOS)
};

// Source x EOS; target BOS y / y EOS with y = x (copy) or reversed x.
inline Batch make_batch(std::mt19937& rng, int64_t n, bool reverse) {
  std::uniform_int_distribution<int64_t> len_d(kMinLen, kMaxLen), tok_d(4, kVocab - 1);
  Batch b;
  b.src = torch::full({n, kMaxLen + 1}, kPadId, torch::kInt64);
  b.tgt_in = torch::full({n, kMaxLen + 1}, kPadId, torch::kInt64);
  b.tgt_out = torch::full({n, kMaxLen + 1}, kPadId, torch::kInt64);
  auto s = b.src.accessor<int64_t, 2>();
  auto ti = b.tgt_in.accessor<int64_t, 2>();
  auto to = b.tgt_out.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = len_d(rng);
    std::vector<int64_t> x(len);
    for (auto& v : x) v = tok_d(rng);
    for (int64_t j = 0; j < len; ++j) s[i][j] = x[j];
    s[i][len] = kEosId;
    ti[i][0] = kBosId;
    for (int64_t j = 0; j < len; ++j) {
      const int64_t y = reverse ? x[len - 1 - j] : x[j];
      ti[i][j + 1] = y;
      to[i][j] = y;
    }
    to[i][len] = kEosId;
    b.lengths.push_back(len);
  }
  return b;
}

inline ModelConfig rnn(const std::string& attention) {
  ModelConfig m;
  m.encoder.type = "rnn";
  m.encoder.layers = 1;
  m.encoder.embedding_dim = 32;
  m.encoder.hidden_size = 32;
  m.encoder.dropout = 0.0;
  m.decoder.type = "rnn";
  m.decoder.attention = attention;
  m.decoder.layers = 1;
  m.decoder.embedding_dim = 32;
  m.decoder.hidden_size = 64;
  m.decoder.heads = 1;
  m.decoder.dropout = 0.0;
  m.decoder.attention_dropout = 0.0;
  return m;
}

inline ModelConfig transformer(const std::string& attention, int64_t enc_layers = 1) {
  ModelConfig m;
  m.encoder.type = m.decoder.type = "transformer";
  m.encoder.layers = enc_layers;
  m.decoder.layers = 1;
  m.encoder.d_model = m.decoder.d_model = 64;
  m.encoder.heads = m.decoder.heads = 2;
  m.encoder.ff = m.decoder.ff = 128;
  m.encoder.dropout = m.decoder.dropout = 0.0;
  m.decoder.attention_dropout = 0.0;
  m.decoder.attention = attention;
  return m;
}

// One teacher-forced step: cross-entropy over real target tokens, gradient norm clipped to 1.
inline void train_step(Seq2SeqImpl& model, torch::optim::Optimizer& opt, const Batch& b) {
  auto logits = model.forward(b.src, b.tgt_in).logits;  // [batch, tgt_len, vocab]
  auto loss = torch::nn::functional::cross_entropy(
      logits.view({-1, kVocab}), b.tgt_out.view(-1),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kPadId));
  opt.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
  opt.step();
}

}  // namespace tinynmt::synthetic
