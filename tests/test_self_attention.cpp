// Self-attention export: the Transformer layers hand out their self-attention weights in the
// forced pass when asked (rows sum to 1, the decoder's causal, shapes per sentence) and change
// nothing else; RNN parts have none; the records' JSON carries the fields only when present
// and reads back with the word level made like the cross-attention's; the page embeds them
// within the stated rounding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "align/attention_io.h"
#include "align/attention_page.h"
#include "decode/forced_decode.h"
#include "decode_test_models.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "tiny_configs.h"

namespace tinynmt {
namespace {

constexpr int64_t kVocab = 12;

struct Pass {
  std::vector<decode::ForcedResult> plain, with;
};

Pass forced_both(Seq2SeqImpl& model) {
  auto [src, mask] = decode::make_src({{5, 6, 7, kEosId}, {8, kEosId}}, /*extra_pad=*/1);
  auto [tin, tout] = decode::teacher_forcing_batch({{9, 10, 4, kEosId}, {4, kEosId}}, torch::kCPU);
  decode::ForcedDecodeOptions with_self;
  with_self.self_attention = true;
  return {decode::forced_decode(model, src, mask, tin, tout),
          decode::forced_decode(model, src, mask, tin, tout, with_self)};
}

TEST(SelfAttention, TransformerWeightsAreRowStochasticAndTheDecodersCausal) {
  torch::manual_seed(3);
  auto model = make_seq2seq(test_configs::tiny_transformer(8, 16, 2, 2), kVocab, kVocab);
  model->eval();
  const auto [plain, with] = forced_both(*model);
  const std::vector<int64_t> src_len = {4, 2}, tgt_len = {4, 2};
  for (size_t b = 0; b < 2; ++b) {
    const auto& enc = with[b].encoder_self_attention;  // [L, H, S, S]
    const auto& dec = with[b].decoder_self_attention;  // [L, H, T, T]
    ASSERT_TRUE(enc.defined() && dec.defined());
    EXPECT_EQ(enc.sizes(), (std::vector<int64_t>{2, 2, src_len[b], src_len[b]}));
    EXPECT_EQ(dec.sizes(), (std::vector<int64_t>{2, 2, tgt_len[b], tgt_len[b]}));
    EXPECT_TRUE(torch::allclose(enc.sum(-1), torch::ones({2, 2, src_len[b]}), 0, 1e-5));
    EXPECT_TRUE(torch::allclose(dec.sum(-1), torch::ones({2, 2, tgt_len[b]}), 0, 1e-5));
    EXPECT_EQ(dec.triu(1).abs().max().item<float>(), 0.0f) << "decoder attends to a later step";
    EXPECT_GT(dec.tril(-1).abs().max().item<float>(), 0.0f) << "not a trivial diagonal";
    // Nothing else changes: the same cross-attention and log-probabilities, bit for bit.
    EXPECT_TRUE(torch::equal(with[b].attention, plain[b].attention));
    EXPECT_EQ(with[b].token_log_probs, plain[b].token_log_probs);
    EXPECT_FALSE(plain[b].encoder_self_attention.defined());
    EXPECT_FALSE(plain[b].decoder_self_attention.defined());
  }
}

TEST(SelfAttention, OnlyAskedForAndNoneInRnnModels) {
  torch::manual_seed(4);
  auto tf = make_seq2seq(test_configs::tiny_transformer(8, 16, 2, 2), kVocab, kVocab);
  tf->eval();
  auto src = torch::tensor(std::vector<int64_t>{5, 6, kEosId}).view({1, 3});
  auto tgt_in = torch::tensor(std::vector<int64_t>{kBosId, 7}).view({1, 2});
  auto f = tf->forward_features(src, tgt_in);
  EXPECT_FALSE(f.encoder_self_attention.defined() || f.decoder_self_attention.defined());
  auto g = tf->forward_features_with_self_attention(src, tgt_in);
  EXPECT_TRUE(torch::equal(g.features, f.features));
  EXPECT_EQ(g.encoder_self_attention.sizes(), (std::vector<int64_t>{1, 2, 2, 3, 3}));
  EXPECT_EQ(g.decoder_self_attention.sizes(), (std::vector<int64_t>{1, 2, 2, 2, 2}));

  auto rnn = make_seq2seq(test_configs::tiny_rnn("gru", "bahdanau", false), kVocab, kVocab);
  rnn->eval();
  const auto [plain, with] = forced_both(*rnn);
  for (size_t b = 0; b < 2; ++b) {
    EXPECT_FALSE(with[b].encoder_self_attention.defined());
    EXPECT_FALSE(with[b].decoder_self_attention.defined());
    EXPECT_TRUE(torch::equal(with[b].attention, plain[b].attention));
    EXPECT_EQ(with[b].token_log_probs, plain[b].token_log_probs);
  }
}

// A record of words "a" "bc" (pieces ▁a ▁b c </s>) on both sides, with self-attention.
align::AttentionRecord record_with_self() {
  align::AttentionRecord r;
  r.src_tokens = r.tgt_tokens = {"\u2581a", "\u2581b", "c", "</s>"};
  r.src_word_of_token = r.tgt_word_of_token = {0, 1, 1, -1};
  r.src_words = r.tgt_words = {"a", "bc"};
  r.layers = r.heads = 1;
  const align::Matrix full = {
      {.1f, .2f, .3f, .4f}, {.25f, .25f, .25f, .25f}, {.4f, .3f, .2f, .1f}, {0, 0, .5f, .5f}};
  const align::Matrix causal = {
      {1, 0, 0, 0}, {.5f, .5f, 0, 0}, {.2f, .3f, .5f, 0}, {.1f, .2f, .3f, .4f}};
  r.subword = {{full}};
  r.encoder_self = {1, 1, {{full}}, {}};
  r.decoder_self = {1, 1, {{causal}}, {}};
  align::fill_word_level(r);
  return r;
}

TEST(SelfAttention, WordLevelIsMadeLikeTheCrossAttentions) {
  const auto r = record_with_self();
  // Rows averaged over a word's pieces, columns summed, EOS dropped: the cross-attention's rule.
  EXPECT_EQ(r.encoder_self.word, r.word);
  const align::Matrix& d = r.decoder_self.word[0][0];  // [tgt word][tgt word]
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FLOAT_EQ(d[0][0], 1.0f);
  EXPECT_FLOAT_EQ(d[0][1], 0.0f);  // still causal at word level
  EXPECT_FLOAT_EQ(d[1][0], (.5f + .2f) / 2);
  EXPECT_FLOAT_EQ(d[1][1], (.5f + .3f + .5f) / 2);
}

TEST(SelfAttention, JsonCarriesTheFieldsOnlyWhenPresentAndReadsBack) {
  auto r = record_with_self();
  auto plain = r;
  plain.encoder_self = plain.decoder_self = {};
  const auto jp = align::to_json(plain);
  EXPECT_FALSE(jp.contains("encoder_self_attention") || jp.contains("decoder_self_attention"));
  // Without self-attention the line is what it was before the feature: the same keys.
  std::vector<std::string> keys;
  for (const auto& [k, v] : jp.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"heads", "index", "layers", "model", "special_tokens",
                                      "src_tokens", "src_word_of_token", "src_words", "subword",
                                      "tgt_tokens", "tgt_word_of_token", "tgt_words", "word"}));
  auto j = align::to_json(r);
  ASSERT_TRUE(j.contains("encoder_self_attention") && j.contains("decoder_self_attention"));
  EXPECT_EQ(j["decoder_self_attention"]["layers"], 1);
  j["decoder_self_attention"].erase("word");  // the reader makes the word level itself
  const auto back = align::record_from_json(j);
  EXPECT_EQ(back.decoder_self.subword, r.decoder_self.subword);
  ASSERT_EQ(back.decoder_self.word.size(), 1u);
  for (size_t t = 0; t < 2; ++t)
    for (size_t s = 0; s < 2; ++s)
      EXPECT_NEAR(back.decoder_self.word[0][0][t][s], r.decoder_self.word[0][0][t][s], 1e-4);
  EXPECT_NEAR(back.encoder_self.word[0][0][1][1], r.encoder_self.word[0][0][1][1], 1e-4);
  j["encoder_self_attention"]["subword"][0][0].erase(0);  // 3 rows for 4 source tokens
  EXPECT_THROW(align::record_from_json(j, "x.jsonl:1"), std::runtime_error);
}

TEST(SelfAttention, PageEmbedsItWithinTheRounding) {
  auto r = record_with_self();
  auto plain = r;
  plain.encoder_self = plain.decoder_self = {};
  std::vector<align::PageSentence> sentences(2);
  sentences[0].record = &r;
  sentences[1].record = &plain;
  const auto d = align::read_page_data(align::page_html(align::page_data(sentences, {})));
  const auto& s0 = d["sentences"][0];
  for (const auto& [key, part] :
       {std::pair{"encoder_self", &r.encoder_self}, std::pair{"decoder_self", &r.decoder_self}}) {
    ASSERT_TRUE(s0.contains(key)) << key;
    EXPECT_EQ(s0[key]["layers"], 1);
    for (const char* level : {"subword", "word"}) {
      // One layer and one head: the page's weights are the matrix in C order.
      const auto& want = (std::string(level) == "word" ? part->word : part->subword)[0][0];
      const auto got = align::decode_page_weights(s0[key][level].get<std::string>());
      ASSERT_EQ(got.size(), want.size() * want.size()) << key << " " << level;
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_LE(std::abs(got[i] - want[i / want.size()][i % want.size()]),
                  align::kPageWeightError + 1e-6)
            << key << " " << level << " " << i;
    }
  }
  EXPECT_FALSE(d["sentences"][1].contains("encoder_self"));
  EXPECT_FALSE(d["sentences"][1].contains("decoder_self"));
}

}  // namespace
}  // namespace tinynmt
