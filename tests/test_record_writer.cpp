// The attention record writers (align/record_writer.h): each format writes what the commands
// wrote before they shared the writers.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>

#include "align/record_writer.h"
#include "align/selection.h"
#include "temp_files.h"

namespace tinynmt::align {
namespace {

using test_files::slurp;

std::string temp_path(const std::string& name) { return test_files::temp_file("writer", name); }

AttentionRecord small_record(int64_t index) {
  AttentionRecord r;
  r.index = index;
  r.model = "toy";
  r.src_tokens = {"\u2581a", "</s>"};
  r.tgt_tokens = {"\u2581b", "</s>"};
  r.src_words = {"a"};
  r.tgt_words = {"b"};
  r.src_word_of_token = {0, -1};
  r.tgt_word_of_token = {0, -1};
  r.layers = 1;
  r.heads = 2;
  r.subword = {{{{0.25f, 0.75f}, {0.5f, 0.5f}}, {{1.0f, 0.0f}, {0.125f, 0.875f}}}};
  fill_word_level(r);
  r.alignment = index == 0 ? "0-0" : "";
  return r;
}

TEST(RecordWriter, JsonlAndPharaohWriteWhatTheOldCodeWrote) {
  const auto jsonl = temp_path("a.jsonl"), pharaoh = temp_path("a.align");
  auto jw = make_record_writer("jsonl", jsonl);
  auto pw = make_record_writer("pharaoh", pharaoh);
  std::ostringstream expect_jsonl, expect_pharaoh;
  for (int64_t i = 0; i < 2; ++i) {
    const auto rec = small_record(i);
    jw->write(rec);
    pw->write(rec);
    write_attention_jsonl(expect_jsonl, rec);
    expect_pharaoh << rec.alignment << '\n';
  }
  jw->close();
  pw->close();
  EXPECT_EQ(slurp(jsonl), expect_jsonl.str());
  EXPECT_EQ(slurp(pharaoh), "0-0\n\n");
  EXPECT_EQ(read_attention_jsonl(jsonl).size(), 2u);
  std::filesystem::remove(jsonl);
  std::filesystem::remove(pharaoh);
}

TEST(RecordWriter, NpyWritesBothLevelsPerRecord) {
  const auto prefix = temp_path("n");
  auto w = make_record_writer("npy", prefix);
  w->write(small_record(3));
  w->close();
  std::vector<int64_t> shape;
  const auto sub = read_npy(prefix + ".0003.subword.npy", &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{1, 2, 2, 2}));
  EXPECT_EQ(sub, (std::vector<float>{0.25f, 0.75f, 0.5f, 0.5f, 1.0f, 0.0f, 0.125f, 0.875f}));
  read_npy(prefix + ".0003.word.npy", &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{1, 2, 1, 1}));
  std::filesystem::remove(prefix + ".0003.subword.npy");
  std::filesystem::remove(prefix + ".0003.word.npy");
}

TEST(RecordWriter, HeatmapTextAndImagesWithTheirNames) {
  RecordWriterOptions o;
  std::ostringstream listing, warnings;
  o.listing = &listing;
  o.warnings = &warnings;
  o.image = "text";
  o.head = "1";
  auto text = make_record_writer("heatmap", "", o);
  text->write(small_record(0));
  text->close();
  EXPECT_NE(listing.str().find("sentence 0 | toy | layer 0 | word level | head 1"),
            std::string::npos)
      << listing.str();
  EXPECT_EQ(warnings.str(), "");
  o.head = "2";  // the record has 2 heads
  EXPECT_THROW(make_record_writer("heatmap", "", o)->write(small_record(0)), SelectionError);

  const auto dir = temp_path("figs");
  std::filesystem::create_directories(dir);
  listing.str("");
  o.image = "svg";
  o.head = "mean";
  o.level = "subword";
  auto images = make_record_writer("heatmap", dir, o);
  images->write(small_record(5));
  images->close();
  const std::string svg = dir + "/sent0005_subword_L0_Hmean.svg";
  EXPECT_EQ(listing.str(), svg + "\n");
  EXPECT_TRUE(std::filesystem::exists(svg));
  EXPECT_EQ(warnings.str(), "wrote 1 heatmap(s) to " + dir + "\n");
  std::filesystem::remove_all(dir);
}

TEST(RecordWriter, UnknownFormatAndUnwritablePath) {
  try {
    make_record_writer("csv", temp_path("x"));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'csv' (choices: jsonl, pharaoh, npy, heatmap)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_record_writer("jsonl", "/nonexistent_dir_tinynmt/a.jsonl"), std::runtime_error);
}

}  // namespace
}  // namespace tinynmt::align
