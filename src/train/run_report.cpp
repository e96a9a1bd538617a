#include "train/run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "align/attention_page.h"
#include "decode/translator.h"

namespace tinynmt {
namespace {

// Reads a JSON Lines file; `each(line_number, json)` per non-blank line. Missing file: nothing.
template <typename F>
void for_each_json_line(const std::string& path, F each) {
  std::ifstream in(path);
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(fmt::format("{}:{}: not JSON ({})", path, n, e.what()));
    }
    each(n, j);
  }
}

}  // namespace

std::vector<align::CurveSeries> metrics_curves(const std::string& metrics_path) {
  std::vector<align::CurveSeries> s = {{"training loss", {}},   {"tokens/s", {}},
                                       {"learning rate", {}},   {"validation loss", {}},
                                       {"validation BLEU", {}}, {"validation chrF", {}}};
  for_each_json_line(metrics_path, [&](int64_t, const nlohmann::json& j) {
    const std::string type = j.value("type", "");
    const double step = j.value("step", 0.0);
    auto add = [&](size_t k, const char* key) {
      if (j.contains(key) && j[key].is_number())
        s[k].points.emplace_back(step, j[key].get<double>());
    };
    if (type == "train") {
      add(0, "loss");
      add(1, "tokens_per_s");
      add(2, "lr");
    } else if (type == "valid") {
      add(3, "loss");
      add(4, "bleu");
      add(5, "chrf");
    }
  });
  return s;
}

LoadedModel training_view(const Config& cfg, const Tokenizer& tok,
                          std::shared_ptr<Seq2SeqImpl> model, const torch::Device& device,
                          const std::string& run_dir) {
  LoadedModel view;
  view.config = cfg;
  view.tokenizer = tok;
  view.model = std::move(model);
  view.device = device;
  view.name = std::filesystem::path(run_dir).filename().string();
  return view;
}

void update_run_report(const RunDir& dir, int64_t step, const LoadedModel& model,
                       const std::vector<std::string>& srcs, const std::vector<std::string>& refs,
                       int64_t n) {
  n = std::min<int64_t>(n, static_cast<int64_t>(std::min(srcs.size(), refs.size())));
  if (n <= 0) return;
  model.model->eval();
  std::vector<decode::AlignResult> aligned;
  try {
    aligned = decode::force_align(model, {srcs.begin(), srcs.begin() + n},
                                  {refs.begin(), refs.begin() + n}, decode::AlignOptions{});
  } catch (...) {
    model.model->train();
    throw;
  }
  model.model->train();
  {
    std::ofstream out(dir.report_attention(), std::ios::app);
    if (!out) throw std::runtime_error(dir.report_attention() + ": cannot open for writing");
    for (const auto& a : aligned) {
      auto j = align::to_json(a.record);
      j["step"] = step;
      out << j.dump() << '\n';
    }
    if (!out.flush()) throw std::runtime_error(dir.report_attention() + ": write failed");
  }
  write_run_report(dir, fmt::format("tinynmt run {}", model.name));
}

void write_run_report(const RunDir& dir, const std::string& title) {
  // Records by sentence index, in the order of their steps; the steps themselves.
  std::map<int64_t, std::vector<align::AttentionRecord>> by_index;
  std::vector<int64_t> steps;
  for_each_json_line(dir.report_attention(), [&](int64_t n, const nlohmann::json& j) {
    const auto step = j.value("step", int64_t{-1});
    if (steps.empty() || steps.back() != step) steps.push_back(step);
    by_index[j.value("index", int64_t{0})].push_back(
        align::record_from_json(j, fmt::format("{}:{}", dir.report_attention(), n)));
  });
  std::vector<align::PageSentence> page;
  for (const auto& [index, recs] : by_index) {
    if (recs.size() != steps.size()) continue;  // a sentence missing at some validation
    align::PageSentence s;
    s.record = &recs.back();
    for (const auto& r : recs) s.snapshots.push_back(&r);
    page.push_back(s);
  }
  align::PageOptions o;
  o.title = title;
  o.steps = steps;
  o.curves_svg = align::curves_svg(metrics_curves(dir.metrics_file()));
  align::write_attention_page(dir.report_page(), page, o);
}

}  // namespace tinynmt
