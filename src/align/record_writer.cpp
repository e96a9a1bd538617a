#include "align/record_writer.h"

#include <fmt/format.h>

#include <stdexcept>

namespace tinynmt::align {
namespace {

using Maker = std::unique_ptr<RecordWriter> (*)(const std::string&, const RecordWriterOptions&);

struct Format {
  const char* name;
  Maker make;
};

const std::vector<Format>& formats() {
  static const std::vector<Format> table = {{"jsonl", make_jsonl_writer},
                                            {"pharaoh", make_pharaoh_writer},
                                            {"npy", make_npy_writer},
                                            {"heatmap", make_heatmap_writer}};
  return table;
}

}  // namespace

std::vector<std::string> record_formats() {
  std::vector<std::string> names;
  for (const auto& f : formats()) names.emplace_back(f.name);
  return names;
}

std::unique_ptr<RecordWriter> make_record_writer(const std::string& format, const std::string& path,
                                                 const RecordWriterOptions& options) {
  for (const auto& f : formats())
    if (format == f.name) return f.make(path, options);
  std::string choices;
  for (const auto& n : record_formats()) choices += (choices.empty() ? "" : ", ") + n;
  throw std::invalid_argument(
      fmt::format("record writer: unknown format '{}' (choices: {})", format, choices));
}

}  // namespace tinynmt::align
