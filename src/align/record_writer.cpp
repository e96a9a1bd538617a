#include "align/record_writer.h"

#include <fmt/format.h>

#include <stdexcept>

#include "util/named_values.h"

namespace tinynmt::align {
namespace {

using Maker = std::unique_ptr<RecordWriter> (*)(const std::string&, const RecordWriterOptions&);

const std::vector<Named<Maker>>& formats() {
  static const std::vector<Named<Maker>> table = {{"jsonl", make_jsonl_writer},
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
  if (const auto* make = find_named(formats(), format)) return (*make)(path, options);
  throw std::invalid_argument(fmt::format("record writer: unknown format '{}' (choices: {})",
                                          format, joined_names(formats())));
}

}  // namespace tinynmt::align
