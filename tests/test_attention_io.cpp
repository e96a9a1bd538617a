// align/attention_io: attention records as JSON Lines and .npy, round trips and errors naming the
// line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "temp_files.h"

namespace {

using namespace tinynmt::align;

std::string temp_path(const std::string& name) {
  return tinynmt::test_files::temp_file("align", name);
}

AttentionRecord make_record() {
  AttentionRecord r;
  r.index = 7;
  r.model = "toy";
  r.src_tokens = {"\u2581Ein", "\u2581M\u00e4d", "chen", "</s>"};
  r.tgt_tokens = {"\u2581A", "\u2581girl", "</s>"};
  r.src_word_of_token = word_index_of_pieces(r.src_tokens);
  r.tgt_word_of_token = word_index_of_pieces(r.tgt_tokens);
  r.src_words = words_of_pieces(r.src_tokens, r.src_word_of_token);
  r.tgt_words = words_of_pieces(r.tgt_tokens, r.tgt_word_of_token);
  r.layers = 2;
  r.heads = 2;
  r.subword.assign(2, std::vector<Matrix>(2, Matrix(3, std::vector<float>(4))));
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h)
      for (int t = 0; t < 3; ++t) {
        float sum = 0;
        for (int s = 0; s < 4; ++s) {
          r.subword[l][h][t][s] = 1.0f + static_cast<float>((l * 7 + h * 5 + t * 3 + s) % 4);
          sum += r.subword[l][h][t][s];
        }
        for (int s = 0; s < 4; ++s) r.subword[l][h][t][s] /= sum;
      }
  fill_word_level(r);
  r.alignment = format_pharaoh(argmax_alignment(r.word[1][0]));
  return r;
}

TEST(AttentionIo, JsonlRoundTrip) {
  AttentionRecord r = make_record();
  EXPECT_EQ(r.src_words, (std::vector<std::string>{"Ein", "M\u00e4dchen"}));
  ASSERT_EQ(r.word[0][0].size(), 2u);
  ASSERT_EQ(r.word[0][0][0].size(), 2u);
  AttentionRecord r2 = r;
  r2.index = 8;
  const std::string path = temp_path("att.jsonl");
  write_attention_jsonl(path, {r, r2});
  const auto back = read_attention_jsonl(path);
  ASSERT_EQ(back.size(), 2u);
  const auto& b = back[0];
  EXPECT_EQ(b.index, 7);
  EXPECT_EQ(back[1].index, 8);
  EXPECT_EQ(b.model, "toy");
  EXPECT_EQ(b.src_tokens, r.src_tokens);
  EXPECT_EQ(b.tgt_tokens, r.tgt_tokens);
  EXPECT_EQ(b.src_words, r.src_words);
  EXPECT_EQ(b.tgt_word_of_token, r.tgt_word_of_token);
  EXPECT_EQ(b.layers, 2);
  EXPECT_EQ(b.heads, 2);
  EXPECT_EQ(b.alignment, r.alignment);
  EXPECT_EQ(b.special_tokens, r.special_tokens);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      for (size_t t = 0; t < 3; ++t)
        for (size_t s = 0; s < 4; ++s)
          EXPECT_NEAR(b.subword[l][h][t][s], r.subword[l][h][t][s], 5.1e-5);
      for (size_t t = 0; t < 2; ++t)
        for (size_t s = 0; s < 2; ++s) EXPECT_NEAR(b.word[l][h][t][s], r.word[l][h][t][s], 5.1e-5);
    }
  std::remove(path.c_str());
}

TEST(AttentionIo, NumbersAreRoundedToFourDecimals) {
  AttentionRecord r = make_record();
  r.subword[0][0][0][0] = 0.123456f;
  const std::string line = to_json(r).dump();
  EXPECT_NE(line.find("0.1235"), std::string::npos);
  EXPECT_EQ(line.find("0.12345"), std::string::npos);
}

TEST(AttentionIo, BadFilesNameTheLine) {
  const std::string path = temp_path("bad.jsonl");
  {
    std::ofstream out(path);
    write_attention_jsonl(out, make_record());
    out << "{not json\n";
  }
  try {
    read_attention_jsonl(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
  // A record whose matrix rows disagree with its tokens.
  auto j = to_json(make_record());
  j["tgt_tokens"].push_back("extra");
  j["tgt_word_of_token"].push_back(-1);
  { std::ofstream(path) << j.dump() << "\n"; }
  try {
    read_attention_jsonl(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path + ":1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("subword"), std::string::npos) << msg;
  }
  std::remove(path.c_str());
}

TEST(AttentionIo, NpyRoundTrip) {
  std::vector<float> data(2 * 3 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = 0.25f * static_cast<float>(i) - 1.0f;
  const std::string path = temp_path("a.npy");
  write_npy(path, data, {2, 3, 4});
  // Header (magic + length + dict + padding) is a multiple of 64 bytes, then 24 float32.
  const auto size = std::filesystem::file_size(path);
  EXPECT_EQ((size - 24 * 4) % 64, 0u);
  std::vector<int64_t> shape;
  EXPECT_EQ(read_npy(path, &shape), data);
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_THROW(write_npy(path, data, {5, 5}), std::invalid_argument);
  std::remove(path.c_str());
}

// Found by fuzzing (fuzz/fuzz_attention_jsonl.cpp): a number too large for a double is
// nlohmann::json's out_of_range, not a parse_error, and escaped without the file and line.
TEST(AttentionIo, NumberOverflowNamesTheLine) {
  const std::string path = temp_path("overflow.jsonl");
  std::ofstream(path) << "{\"id\": 1e99999}\n";
  try {
    read_attention_jsonl(path);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ":1: invalid JSON (", 0), 0u) << e.what();
  }
  std::remove(path.c_str());
}

// Found by fuzzing (fuzz/fuzz_npy.cpp): a shape that is not a list of non-negative integers, or
// one larger than the data, gave std::stoll's bare "stoll" or an allocation of the claimed size
// before reading; now one line naming the file, and nothing is allocated beyond the file's data.
TEST(AttentionIo, NpyBadShapesNameTheFile) {
  const std::string path = temp_path("bad.npy");
  write_npy(path, std::vector<float>(8, 1.0f), {2, 4});
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto with_shape = [&](const std::string& shape) {
    std::string b = bytes;
    const auto at = b.find("(2, 4)");
    b.replace(at, 6, shape.substr(0, 6) + std::string(6 - std::min<size_t>(6, shape.size()), ' '));
    std::ofstream(path, std::ios::binary) << b;
    std::vector<int64_t> shape_read;
    try {
      read_npy(path, &shape_read);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (const std::string& shape : {"(2, ^)", "(-2,4)", "(2, x)", "(2,\n4)"}) {
    const std::string msg = with_shape(shape);
    EXPECT_NE(msg.find(path + ": bad dimension"), std::string::npos) << shape << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;  // quoted bytes are escaped
  }
  for (const std::string& shape : {"(2, 5)", "(9999)", "(9,9,)"}) {
    EXPECT_EQ(with_shape(shape), path + ": truncated .npy data") << shape;
  }
  EXPECT_EQ(with_shape("(4, 2)"), "no error");
  // A version 2 header claiming 2 GB in a file of 20 bytes: refused before allocating it.
  std::ofstream(path, std::ios::binary)
      << std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'", 20);
  std::vector<int64_t> shape;
  EXPECT_THROW(
      {
        try {
          read_npy(path, &shape);
        } catch (const std::runtime_error& e) {
          EXPECT_EQ(std::string(e.what()), path + ": truncated .npy header");
          throw;
        }
      },
      std::runtime_error);
  std::remove(path.c_str());
}

// Worked by hand from the GROW-DIAG-FINAL(-AND) pseudo-code in align/symmetrize.h.
// forward F = {0-0, 1-1}, reverse R = {0-0, 0-3, 3-2}: F ∩ R = {0-0}; 1-1 touches 0-0 only
// diagonally (grow-diag adds it, grow does not); after grow-diag, 0-3 has its source word
// covered (final adds it, final-and does not), 3-2 has both sides free (both add it).

}  // namespace
