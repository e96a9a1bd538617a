#include "train/metrics_log.h"

#include <fmt/format.h>

#include <filesystem>
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

int64_t drop_records_after_step(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string kept;
  int64_t dropped = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    const bool later = !j.is_discarded() && j.is_object() && j.contains("step") &&
                       j["step"].is_number_integer() && j["step"].get<int64_t>() > step;
    if (j.is_discarded() || later) {
      ++dropped;
      continue;
    }
    kept += line + '\n';
  }
  if (dropped == 0) return 0;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << kept;
    if (!out.flush()) throw std::runtime_error(fmt::format("{}: cannot write", tmp));
  }
  std::filesystem::rename(tmp, path);
  return dropped;
}

}  // namespace tinynmt
