// The self-contained attention page (align/attention_page.h): base64 and the one-byte
// weights, the data embedded in the page parsing back to the record's weights within the stated
// rounding, token text that cannot break out of the page, and the size of a 1,000-sentence
// page. The page in a real browser: tests/browser/attention_page.py.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "align/attention_page.h"
#include "util/base64.h"

namespace tinynmt::align {
namespace {

// A record of `layers` x `heads` random softmax rows, subword and word level.
AttentionRecord random_record(int64_t index, int src_words, int tgt_words, int layers, int heads,
                              uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  auto matrices = [&](int rows, int cols) {
    LayerHeadMatrices m(layers, std::vector<Matrix>(heads));
    for (auto& layer : m)
      for (auto& head : layer) {
        head.assign(rows, std::vector<float>(cols));
        for (auto& row : head) {
          float sum = 0;
          for (auto& w : row) sum += (w = u(rng));
          for (auto& w : row) w /= sum;
        }
      }
    return m;
  };
  AttentionRecord r;
  r.index = index;
  r.model = "test";
  for (int i = 0; i < src_words; ++i) {
    r.src_words.push_back("s" + std::to_string(i));
    r.src_tokens.push_back("\u2581s" + std::to_string(i));
    r.src_word_of_token.push_back(i);
  }
  for (int j = 0; j < tgt_words; ++j) {
    r.tgt_words.push_back("t" + std::to_string(j));
    r.tgt_tokens.push_back("\u2581t" + std::to_string(j));
    r.tgt_word_of_token.push_back(j);
  }
  r.src_tokens.push_back("</s>");
  r.tgt_tokens.push_back("</s>");
  r.src_word_of_token.push_back(-1);
  r.tgt_word_of_token.push_back(-1);
  r.layers = layers;
  r.heads = heads;
  r.subword = matrices(tgt_words + 1, src_words + 1);
  r.word = matrices(tgt_words, src_words);
  return r;
}

std::vector<float> flatten(const LayerHeadMatrices& m) {
  std::vector<float> v;
  for (const auto& l : m)
    for (const auto& h : l)
      for (const auto& row : h) v.insert(v.end(), row.begin(), row.end());
  return v;
}

TEST(Base64, KnownVectorsRoundTripAndErrors) {
  auto enc = [](const std::string& s) { return base64_encode({s.begin(), s.end()}); };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("M"), "TQ==");
  EXPECT_EQ(enc("Ma"), "TWE=");
  EXPECT_EQ(enc("Man"), "TWFu");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");  // RFC 4648 §10
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
    std::vector<uint8_t> part(all.begin(), all.begin() + n);
    EXPECT_EQ(base64_decode(base64_encode(part)), part) << n;
  }
  EXPECT_THROW(base64_decode("abc"), std::invalid_argument);
  EXPECT_THROW(base64_decode("ab!d"), std::invalid_argument);
  EXPECT_THROW(base64_decode("TQ==TWFu"), std::invalid_argument);
}

TEST(AttentionPage, QuantisesWeightsToOneByte) {
  EXPECT_EQ(quantize_weight(0.0f), 0);
  EXPECT_EQ(quantize_weight(1.0f), 255);
  EXPECT_EQ(quantize_weight(0.5f), 128);  // 127.5 rounds away from zero
  EXPECT_EQ(quantize_weight(-0.2f), 0);
  EXPECT_EQ(quantize_weight(1.7f), 255);
  EXPECT_EQ(quantize_weight(std::nanf("")), 0);
  for (float w = 0; w <= 1.0f; w += 0.001f)
    EXPECT_LE(std::abs(quantize_weight(w) / 255.0 - w), kPageWeightError + 1e-9) << w;
}

TEST(AttentionPage, EmbeddedDataParsesBackWithinTheRounding) {
  AttentionRecord a = random_record(0, 5, 4, 2, 3, 1);
  a.alignment = "0-0 1-1 3-2";
  AttentionRecord b = random_record(7, 1, 1, 2, 3, 2);  // one-word sentence
  b.word.clear();                                       // a record without word-level matrices
  PageGold gold{{{0, 0}, {1, 1}}, {{2, 2}}};
  std::vector<PageSentence> ss = {{&a, gold, 0.2}, {&b, std::nullopt, std::nullopt}};
  PageOptions o;
  o.set_aer = 0.2;
  const auto d = read_page_data(page_html(page_data(ss, o)));
  ASSERT_EQ(d["sentences"].size(), 2u);
  const auto& s0 = d["sentences"][0];
  EXPECT_EQ(s0["src_tokens"].get<std::vector<std::string>>(), a.src_tokens);
  EXPECT_EQ(s0["tgt_words"].get<std::vector<std::string>>(), a.tgt_words);
  for (const char* level : {"subword", "word"}) {
    const auto want = flatten(std::string(level) == "word" ? a.word : a.subword);
    const auto got = decode_page_weights(s0[level].get<std::string>());
    ASSERT_EQ(got.size(), want.size()) << level;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_LE(std::abs(got[i] - want[i]), kPageWeightError + 1e-6) << level << " " << i;
  }
  EXPECT_EQ(s0["alignment"], nlohmann::json::parse("[[0,0],[1,1],[3,2]]"));
  EXPECT_EQ(s0["gold"]["sure"], nlohmann::json::parse("[[0,0],[1,1]]"));
  EXPECT_EQ(s0["gold"]["possible"], nlohmann::json::parse("[[2,2]]"));
  EXPECT_DOUBLE_EQ(s0["aer"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(d["set_aer"].get<double>(), 0.2);
  const auto& s1 = d["sentences"][1];
  EXPECT_TRUE(s1["word"].is_null());
  EXPECT_TRUE(s1["alignment"].is_null());
  EXPECT_TRUE(s1["gold"].is_null());
  EXPECT_EQ(decode_page_weights(s1["subword"].get<std::string>()).size(), 2u * 3u * 2u * 2u);
}

TEST(AttentionPage, TokenTextCannotBreakOutOfThePage) {
  AttentionRecord a = random_record(0, 3, 3, 1, 1, 3);
  a.src_words[0] = "</script><script>alert(1)</script>";
  a.src_tokens[0] = "<!--";
  a.tgt_words[1] = "/*TINYNMT_JS*/";  // a template marker as data
  const std::string html = page_html(page_data({{&a, std::nullopt, std::nullopt}}, {}));
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  // Two script elements only (the data and the page's code), the code once, after the data.
  size_t scripts = 0;
  for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1))
    ++scripts;
  EXPECT_EQ(scripts, 2u);
  EXPECT_GT(html.find("\"use strict\""), html.find("tinynmt-data"));
  const auto d = read_page_data(html);
  EXPECT_EQ(d["sentences"][0]["src_words"][0], "</script><script>alert(1)</script>");
  EXPECT_EQ(d["sentences"][0]["tgt_words"][1], "/*TINYNMT_JS*/");
}

TEST(AttentionPage, AThousandMulti30kSentencesStayUnder20MB) {
  // Multi30k-sized records: 13 words, 18 pieces a side (with EOS), 3 layers x 4 heads.
  std::vector<AttentionRecord> recs;
  for (int i = 0; i < 1000; ++i) {
    recs.push_back(random_record(i, 13, 13, 3, 4, static_cast<uint32_t>(i)));
    auto& r = recs.back();
    for (int k = 0; k < 5; ++k) {  // 5 more pieces a side: words split into two pieces
      r.src_tokens.insert(r.src_tokens.end() - 1, "x");
      r.src_word_of_token.insert(r.src_word_of_token.end() - 1, k);
      r.tgt_tokens.insert(r.tgt_tokens.end() - 1, "y");
      r.tgt_word_of_token.insert(r.tgt_word_of_token.end() - 1, k);
    }
    for (auto& l : r.subword)
      for (auto& h : l) {
        h.assign(19, std::vector<float>(19, 1.0f / 19));
      }
  }
  std::vector<PageSentence> ss;
  for (const auto& r : recs) ss.push_back({&r, std::nullopt, std::nullopt});
  const std::string html = page_html(page_data(ss, {}));
  EXPECT_LT(html.size(), 20u * 1000 * 1000) << html.size();
  EXPECT_GT(html.size(), 1000u * 12 * (19 * 19 + 13 * 13));  // one byte a weight at least
}

}  // namespace
}  // namespace tinynmt::align
