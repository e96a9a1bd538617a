#include "train/metrics_log.h"

#include <fmt/format.h>

#include <stdexcept>

namespace tinynmt {

MetricsLog::MetricsLog(const std::string& path) : out_(path, std::ios::app) {
  if (!out_) throw std::runtime_error(fmt::format("{}: cannot open for writing", path));
}

void MetricsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
}

std::vector<align::CurvePoint> read_curve_points(const std::string& path) {
  std::vector<align::CurvePoint> points;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step")) continue;
    const std::string type = j.value("type", "");
    if (type != "train" && type != "valid") continue;  // e.g. a resumed run's "stop" record
    align::CurvePoint p;
    p.step = j["step"].get<int64_t>();
    if (type == "train" && j.contains("loss")) p.train_loss = j["loss"].get<double>();
    if (type == "valid" && j.contains("bleu")) p.val_bleu = j["bleu"].get<double>();
    points.push_back(p);
  }
  return points;
}

}  // namespace tinynmt
