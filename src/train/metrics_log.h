// RUN_DIR/metrics.jsonl: one JSON object per line, per log step ("type": "train"), per
// validation ("type": "valid") and, last, why the run stopped ("type": "stop"); and reading it
// back for the training curves.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "align/curves.h"

namespace tinynmt {

/// Appends JSON lines to a file, flushed per record.
class MetricsLog {
 public:
  /// Opens `path` for appending (creating it). Throws std::runtime_error naming the path.
  explicit MetricsLog(const std::string& path);
  /// Writes `record` as one line (nlohmann::json::dump, keys in its sorted order) and flushes.
  void write(const nlohmann::json& record);

 private:
  std::ofstream out_;
};

/// The points of an existing metrics log, in file order: the train loss of "train" records and
/// the BLEU of "valid" records (to redraw the curves after a resume). Lines that do not parse,
/// have no "step" or are of another type ("stop") are skipped; a missing file gives no points.
std::vector<align::CurvePoint> read_curve_points(const std::string& path);

/// For a resumed run: rewrites the JSON-lines file `path` (metrics.jsonl,
/// report_attention.jsonl) without the records of steps after `step`, which the resumed run
/// trains again, and without lines that do not parse (a record cut by a kill). Lines without a
/// "step" are kept. Written to PATH.tmp and renamed over PATH; a missing file is left missing.
/// Returns the number of lines dropped. Throws std::runtime_error naming the file when it cannot
/// be written.
int64_t drop_records_after_step(const std::string& path, int64_t step);

}  // namespace tinynmt
