// The line-per-record writers: JSON Lines (attention_io.h) and Pharaoh alignment lines.
#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "align/record_writer.h"

namespace tinynmt::align {
namespace {

// A text file written line by line; `line` formats one record.
class LineWriter : public RecordWriter {
 public:
  explicit LineWriter(const std::string& path) : path_(path), out_(path) {
    if (!out_) throw std::runtime_error(fmt::format("{}: cannot write", path));
  }
  void flush() override { out_.flush(); }
  void close() override {
    out_.close();
    if (!out_) throw std::runtime_error(fmt::format("{}: write failed", path_));
  }

 protected:
  std::ofstream& out() { return out_; }

 private:
  std::string path_;
  std::ofstream out_;
};

class JsonlWriter : public LineWriter {
 public:
  JsonlWriter(const std::string& path, int decimals) : LineWriter(path), decimals_(decimals) {}
  void write(const AttentionRecord& rec) override { write_attention_jsonl(out(), rec, decimals_); }

 private:
  int decimals_;
};

class PharaohWriter : public LineWriter {
 public:
  using LineWriter::LineWriter;
  void write(const AttentionRecord& rec) override { out() << rec.alignment << '\n'; }
};

}  // namespace

std::unique_ptr<RecordWriter> make_jsonl_writer(const std::string& path,
                                                const RecordWriterOptions& options) {
  return std::make_unique<JsonlWriter>(path, options.decimals);
}

std::unique_ptr<RecordWriter> make_pharaoh_writer(const std::string& path,
                                                  const RecordWriterOptions& /*options*/) {
  return std::make_unique<PharaohWriter>(path);
}

}  // namespace tinynmt::align
