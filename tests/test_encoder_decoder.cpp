// Networks: incremental decoding equals teacher forcing, causal masking, packing, tying, errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/embeddings.h"
#include "models/encoder_decoder.h"
#include "models/model_config.h"
#include "models/rnn_encoder.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"

namespace tinynmt {
namespace {

constexpr int64_t kSrcVocab = 17, kTgtVocab = 19;

ModelConfig rnn_config(const std::string& cell, const std::string& attention,
                       const std::string& placement, bool feeding) {
  ModelConfig m;
  m.encoder.type = "rnn";
  m.encoder.rnn_type = cell;
  m.encoder.layers = 2;
  m.encoder.embedding_dim = 6;
  m.encoder.hidden_size = 5;
  m.encoder.dropout = 0.2;
  m.decoder.type = "rnn";
  m.decoder.rnn_type = cell;
  m.decoder.attention = attention;
  m.decoder.attention_placement = placement;
  m.decoder.input_feeding = feeding;
  m.decoder.layers = 2;
  m.decoder.embedding_dim = 7;
  m.decoder.hidden_size = 10;
  m.decoder.heads = 2;
  m.decoder.window = 2;
  m.decoder.dropout = 0.2;
  return m;
}

ModelConfig transformer_config(const std::string& attention, const std::string& norm) {
  ModelConfig m;
  for (auto* p : {&m.encoder.d_model, &m.decoder.d_model}) *p = 8;
  m.encoder.type = m.decoder.type = "transformer";
  m.encoder.layers = 2;
  m.decoder.layers = 2;
  m.encoder.heads = m.decoder.heads = 2;
  m.encoder.ff = m.decoder.ff = 16;
  m.encoder.norm = m.decoder.norm = norm;
  m.decoder.attention = attention;
  m.decoder.window = 2;
  return m;
}

// src [3, 8] with lengths 8, 5, 3 (ending in EOS); tgt_in [3, 6] (BOS ...), padded.
torch::Tensor make_src() {
  return torch::tensor({4,  5,  6, 7, 8, 9, 10, 3,  //
                        11, 12, 4, 5, 3, 0, 0,  0,  //
                        6,  7,  3, 0, 0, 0, 0,  0},
                       torch::kInt64)
      .view({3, 8});
}
torch::Tensor make_tgt_in() {
  return torch::tensor({2, 4, 5, 6, 7, 8,    //
                        2, 11, 12, 4, 5, 0,  //
                        2, 6, 7, 0, 0, 0},
                       torch::kInt64)
      .view({3, 6});
}

struct StepCase {
  std::string name;
  ModelConfig cfg;
};

class IncrementalDecoding : public ::testing::TestWithParam<StepCase> {};

TEST_P(IncrementalDecoding, DecodeStepEqualsTeacherForcing) {
  torch::manual_seed(7);
  auto model = make_seq2seq(GetParam().cfg, kSrcVocab, kTgtVocab);
  model->eval();
  torch::NoGradGuard no_grad;
  auto src = make_src(), tgt = make_tgt_in();
  auto full = model->forward(src, tgt);
  auto ref = torch::log_softmax(full.logits, -1);  // [batch, tgt_len, vocab]
  auto state = model->init_state(model->encode(src, src.ne(kPadId)));
  for (int64_t t = 0; t < tgt.size(1); ++t) {
    auto out = model->decode_step(tgt.select(1, t), state);
    ASSERT_EQ(out.log_probs.sizes(), torch::IntArrayRef({3, kTgtVocab}));
    EXPECT_LT((out.log_probs - ref.select(1, t)).abs().max().item<double>(), 1e-5)
        << GetParam().name << " t=" << t;
    EXPECT_LT((out.attention - full.attention.select(3, t)).abs().max().item<double>(), 1e-5)
        << GetParam().name << " t=" << t;
  }
  EXPECT_EQ(state.step, tgt.size(1));
}

TEST_P(IncrementalDecoding, StateSelectReordersEveryTensor) {
  torch::manual_seed(8);
  auto model = make_seq2seq(GetParam().cfg, kSrcVocab, kTgtVocab);
  model->eval();
  torch::NoGradGuard no_grad;
  auto src = make_src(), tgt = make_tgt_in();
  auto a = model->init_state(model->encode(src, src.ne(kPadId)));
  auto b = model->init_state(model->encode(src, src.ne(kPadId)));
  auto perm = torch::tensor({2, 0, 1, 1}, torch::kInt64);  // reorder and duplicate (beam-like)
  for (int64_t t = 0; t < 3; ++t) {
    model->decode_step(tgt.select(1, t), a);
    model->decode_step(tgt.select(1, t), b);
  }
  b.select(perm);
  auto out_a = model->decode_step(tgt.select(1, 3), a);
  auto out_b = model->decode_step(tgt.select(1, 3).index_select(0, perm), b);
  EXPECT_LT((out_a.log_probs.index_select(0, perm) - out_b.log_probs).abs().max().item<double>(),
            1e-6);
}

std::vector<StepCase> step_cases() {
  return {
      {"rnn_gru_bahdanau_placement", rnn_config("gru", "bahdanau", "auto", true)},
      {"rnn_lstm_bahdanau_placement_multihead", rnn_config("lstm", "multihead", "bahdanau", true)},
      {"rnn_lstm_luong_feeding", rnn_config("lstm", "luong-general", "luong", true)},
      {"rnn_gru_luong_no_feeding", rnn_config("gru", "luong-concat", "luong", false)},
      {"rnn_gru_luong_local_m", rnn_config("gru", "local-m", "auto", true)},
      {"rnn_gru_luong_local_p_no_feeding", rnn_config("gru", "local-p", "luong", false)},
      {"transformer_pre_multihead", transformer_config("multihead", "pre")},
      {"transformer_post_multihead", transformer_config("multihead", "post")},
      {"transformer_bahdanau_cross", transformer_config("bahdanau", "pre")},
      {"transformer_local_m_cross", transformer_config("local-m", "pre")},
      {"transformer_local_p_cross", transformer_config("local-p", "pre")},
  };
}

INSTANTIATE_TEST_SUITE_P(Models, IncrementalDecoding, ::testing::ValuesIn(step_cases()),
                         [](const ::testing::TestParamInfo<StepCase>& i) { return i.param.name; });

TEST(TransformerDecoder, CausalMaskHidesLaterTargetTokens) {
  torch::manual_seed(9);
  auto model = make_seq2seq(transformer_config("multihead", "pre"), kSrcVocab, kTgtVocab);
  model->eval();
  torch::NoGradGuard no_grad;
  auto src = make_src(), tgt = make_tgt_in();
  auto base = model->forward(src, tgt).logits;
  for (int64_t t = 0; t + 1 < tgt.size(1); ++t) {
    auto changed = tgt.clone();
    changed.slice(1, t + 1).random_(4, kTgtVocab);  // new tokens after t
    auto out = model->forward(src, changed).logits;
    EXPECT_LT((out.slice(1, 0, t + 1) - base.slice(1, 0, t + 1)).abs().max().item<double>(), 1e-6)
        << "t=" << t;
    // ...and the later positions do depend on them.
    EXPECT_GT((out.slice(1, t + 1) - base.slice(1, t + 1)).abs().max().item<double>(), 1e-4);
  }
}

TEST(RnnEncoder, PaddingNeverReachesTheState) {
  for (const std::string cell : {"gru", "lstm"}) {
    torch::manual_seed(10);
    auto model = make_seq2seq(rnn_config(cell, "bahdanau", "auto", true), kSrcVocab, kTgtVocab);
    model->eval();
    torch::NoGradGuard no_grad;
    auto src = make_src();
    auto enc = model->encode(src, src.ne(kPadId));
    // The third sentence alone, unpadded (length 3).
    auto alone_src = src.slice(0, 2, 3).slice(1, 0, 3);
    auto alone = model->encode(alone_src, alone_src.ne(kPadId));
    ASSERT_EQ(enc.final.sizes(), torch::IntArrayRef({3, 4, 5}));  // [b, layers*dirs, hidden]
    EXPECT_LT((enc.final[2] - alone.final[0]).abs().max().item<double>(), 1e-6) << cell;
    EXPECT_LT((enc.states[2].slice(0, 0, 3) - alone.states[0]).abs().max().item<double>(), 1e-6);
    EXPECT_EQ(enc.states[2].slice(0, 3).abs().max().item<double>(), 0.0);
    if (cell == "lstm") {
      EXPECT_LT((enc.final_c[2] - alone.final_c[0]).abs().max().item<double>(), 1e-6);
    }
  }
}

// The CPU GRU encoder's own loop (hoisted input projection, fused cell, masking) against
// LibTorch's GRU module over packed sequences with the same parameters: states, final states and
// the gradients of the embeddings and of every GRU parameter.
TEST(RnnEncoder, MaskedGruLoopEqualsPackedModule) {
  torch::manual_seed(13);
  EncoderConfig cfg;
  cfg.type = "rnn";
  cfg.rnn_type = "gru";
  cfg.layers = 2;
  cfg.hidden_size = 5;
  cfg.dropout = 0.0;
  auto enc = std::make_shared<RnnEncoderImpl>(cfg, 6);
  auto emb = torch::randn({3, 7, 6}).requires_grad_(true);
  auto mask = torch::arange(7).unsqueeze(0).lt(torch::tensor({7, 4, 1}).unsqueeze(1));  // [3, 7]
  auto upstream = torch::randn({3, 7, 10});
  auto run = [&](bool packed) {
    enc->zero_grad();
    emb.mutable_grad() = torch::Tensor();
    auto out = packed ? enc->encode_packed(emb, mask) : enc->encode(emb, mask);
    (out.states * upstream).sum().add(out.final.sum()).backward();
    std::vector<torch::Tensor> grads = {emb.grad().clone()};
    for (const auto& p : enc->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(out, grads);
  };
  auto [mine, mine_grads] = run(false);
  auto [ref, ref_grads] = run(true);
  ASSERT_EQ(mine.states.sizes(), ref.states.sizes());
  ASSERT_EQ(mine.final.sizes(), ref.final.sizes());  // [3, 4, 5]
  EXPECT_LT((mine.states - ref.states).abs().max().item<double>(), 1e-5);
  EXPECT_LT((mine.final - ref.final).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(mine.states[2].slice(0, 1).abs().max().item<double>(), 0.0);  // padding stays 0
  ASSERT_EQ(mine_grads.size(), ref_grads.size());
  for (size_t k = 0; k < ref_grads.size(); ++k)
    EXPECT_LT((mine_grads[k] - ref_grads[k]).abs().max().item<double>(), 1e-5) << "grad " << k;
}

TEST(Seq2Seq, TiedEmbeddingsShareOneMatrix) {
  auto cfg = transformer_config("multihead", "pre");
  auto untied = make_seq2seq(cfg, kSrcVocab, kTgtVocab);
  cfg.decoder.tie_embeddings = true;
  auto tied = make_seq2seq(cfg, kSrcVocab, kTgtVocab);
  EXPECT_EQ(count_parameters(*untied) - count_parameters(*tied), kTgtVocab * 8);
  auto* ed = dynamic_cast<EncoderDecoderImpl*>(tied.get());
  ASSERT_NE(ed, nullptr);
  // Changing the embedding changes the output projection.
  auto f = torch::randn({2, 8});
  auto before = ed->project(f);
  {
    torch::NoGradGuard g;
    for (auto& p : tied->named_parameters())
      if (p.key() == "tgt_embed.weight") p.value().mul_(2.0);
  }
  EXPECT_GT((ed->project(f) - before).abs().max().item<double>(), 1e-4);

  cfg.tie_all_embeddings = true;
  auto all = make_seq2seq(cfg, kTgtVocab, kTgtVocab);
  auto untied_same = make_seq2seq(transformer_config("multihead", "pre"), kTgtVocab, kTgtVocab);
  EXPECT_EQ(count_parameters(*untied_same) - count_parameters(*all), 2 * kTgtVocab * 8);
  EXPECT_THROW(make_seq2seq(cfg, kSrcVocab, kTgtVocab), std::invalid_argument);
}

TEST(Seq2Seq, RnnTyingWithDifferentSizesProjectsFirst) {
  auto cfg = rnn_config("gru", "luong-general", "luong", true);
  cfg.decoder.tie_embeddings = true;  // hidden 10 != embedding 7
  auto model = make_seq2seq(cfg, kSrcVocab, kTgtVocab);
  auto out = model->forward(make_src(), make_tgt_in());
  EXPECT_EQ(out.logits.sizes(), torch::IntArrayRef({3, 6, kTgtVocab}));
}

TEST(Seq2Seq, MixedEncoderDecoderTypes) {
  auto a = transformer_config("bahdanau", "pre");
  a.decoder = rnn_config("gru", "bahdanau", "auto", true).decoder;
  auto b = rnn_config("lstm", "multihead", "auto", true);
  b.decoder = transformer_config("multihead", "pre").decoder;
  for (const auto& cfg : {a, b}) {
    torch::manual_seed(11);
    auto model = make_seq2seq(cfg, kSrcVocab, kTgtVocab);
    model->eval();
    torch::NoGradGuard no_grad;
    auto src = make_src(), tgt = make_tgt_in();
    auto full = model->forward(src, tgt);
    EXPECT_EQ(full.logits.sizes(), torch::IntArrayRef({3, 6, kTgtVocab}));
    auto state = model->init_state(model->encode(src, src.ne(kPadId)));
    auto ref = torch::log_softmax(full.logits, -1);
    for (int64_t t = 0; t < tgt.size(1); ++t) {
      auto out = model->decode_step(tgt.select(1, t), state);
      EXPECT_LT((out.log_probs - ref.select(1, t)).abs().max().item<double>(), 1e-5);
    }
  }
}

TEST(Seq2Seq, ConfigErrorsNameTheKey) {
  auto expect_msg = [](ModelConfig cfg, const std::string& key) {
    try {
      make_seq2seq(cfg, kSrcVocab, kTgtVocab);
      ADD_FAILURE() << "no exception for " << key;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  auto c = transformer_config("multihead", "pre");
  c.encoder.type = "cnn";
  expect_msg(c, "model.encoder.type");
  c = rnn_config("gru", "bahdanau", "auto", true);
  c.decoder.rnn_type = "rnn_tanh";
  expect_msg(c, "model.decoder.rnn_type");
  c = rnn_config("gru", "bahdanau", "sideways", true);
  expect_msg(c, "model.decoder.attention_placement");
  c = transformer_config("multihead", "mid");
  expect_msg(c, "norm");
  // The attention's own errors name its parameters (config validation maps them to the key).
  c = rnn_config("gru", "luong-dot", "auto", true);  // query 10 vs key 2*5
  c.decoder.hidden_size = 12;
  expect_msg(c, "luong-dot needs query size (12) == key size (10)");
  c = transformer_config("nope", "pre");
  expect_msg(c, "unknown attention 'nope' (choices: bahdanau");
  c = transformer_config("multihead", "pre");
  c.tie_all_embeddings = true;
  expect_msg(c, "model.tie_all_embeddings");
}

}  // namespace
}  // namespace tinynmt
