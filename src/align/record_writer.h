// One interface for writing attention records (align/attention_io.h) in any export format, so
// that `tinynmt translate --attention` and `tinynmt align` write through the same writers and a
// new format is one file (a RecordWriter and its make_* function) plus one row in
// record_writer.cpp's table.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "align/attention_io.h"

namespace tinynmt::align {

/// Writes attention records one at a time, in the order given.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  /// Writes one record. Throws std::runtime_error naming the file on an I/O failure.
  virtual void write(const AttentionRecord& rec) = 0;
  /// Pushes what was written so far to the file (for output that appears as it goes).
  virtual void flush() {}
  /// Finishes the output. Throws std::runtime_error naming the file when writing failed.
  virtual void close() {}
};

struct RecordWriterOptions {
  int decimals = 4;  ///< jsonl: digits after the point
  // heatmap:
  std::string level = "word";        ///< word or subword matrices and labels
  std::string layer = "last";        ///< layer index (negative from the end), "last" or "mean"
  std::string head = "mean";         ///< head index, "mean", or "grid" (all heads in one figure)
  std::string image = "png";         ///< png, svg, pdf, or text (rendered to `listing`)
  double vmax = 1.0;                 ///< weight drawn with the brightest colour (0 = the largest)
  std::ostream* listing = nullptr;   ///< heatmap: written paths or text renderings (required)
  std::ostream* warnings = nullptr;  ///< heatmap: skipped records and the final count
};

/// The writer for `format` at `path`:
///   "jsonl"    path is the file: one JSON object per record (write_attention_jsonl);
///   "pharaoh"  path is the file: the record's `alignment` line per record (word level, i-j);
///   "npy"      path is a prefix: per record PREFIX.NNNN.subword.npy ([layers, heads,
///              tgt_tokens, src_tokens]) and PREFIX.NNNN.word.npy ([layers, heads, tgt_words,
///              src_words]), NNNN the record's index with 4 digits (write_npy);
///   "heatmap"  path is an existing directory: per record one image (or, head "grid", one figure
///              of all heads) named sentNNNN_LEVEL_L<layer>_H<head>.EXT / ..._grid.EXT, its path
///              printed to options.listing; image "text" prints shaded text there instead. A bad
///              layer/head for a record throws SelectionError (align/selection.h).
/// Files are created (truncated) here. Throws std::invalid_argument for an unknown format
/// (listing the choices), std::runtime_error "PATH: cannot write" when a file cannot be opened.
std::unique_ptr<RecordWriter> make_record_writer(const std::string& format, const std::string& path,
                                                 const RecordWriterOptions& options = {});

/// The format names make_record_writer knows, in table order.
std::vector<std::string> record_formats();

// One per format (record_writer.cpp's table): see make_record_writer.
std::unique_ptr<RecordWriter> make_jsonl_writer(const std::string& path,
                                                const RecordWriterOptions& options);
std::unique_ptr<RecordWriter> make_pharaoh_writer(const std::string& path,
                                                  const RecordWriterOptions& options);
std::unique_ptr<RecordWriter> make_npy_writer(const std::string& prefix,
                                              const RecordWriterOptions& options);
std::unique_ptr<RecordWriter> make_heatmap_writer(const std::string& dir,
                                                  const RecordWriterOptions& options);

}  // namespace tinynmt::align
