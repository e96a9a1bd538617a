#include "run/run_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "data/tokenizer.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStepPrefix = "step_";
constexpr const char* kCheckpointExtension = ".ckpt";

std::string join(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

}  // namespace

std::string RunDir::config_file() const { return join(path, "config.yaml"); }
std::string RunDir::metrics_file() const { return join(path, "metrics.jsonl"); }
std::string RunDir::lock_file() const { return join(path, ".lock"); }
std::string RunDir::curves_image() const { return join(path, "curves.png"); }
std::string RunDir::averaged_checkpoint() const { return join(path, "averaged.ckpt"); }
std::string RunDir::report_page() const { return join(path, "report.html"); }
std::string RunDir::report_attention() const { return join(path, "report_attention.jsonl"); }
std::string RunDir::last_checkpoint() const { return join(path, "last.ckpt"); }
std::string RunDir::best_checkpoint() const { return join(path, "best.ckpt"); }

std::string RunDir::step_checkpoint(int64_t step) const {
  return join(path, fmt::format("{}{}{}", kStepPrefix, step, kCheckpointExtension));
}

std::string RunDir::alignment_layer_checkpoint() const {
  return join(path, "alignment_layer.ckpt");
}

std::string RunDir::joint_spm_model() const { return join(path, kJointSpmModel); }
std::string RunDir::src_spm_model() const { return join(path, kSrcSpmModel); }
std::string RunDir::tgt_spm_model() const { return join(path, kTgtSpmModel); }

std::optional<int64_t> RunDir::step_of_checkpoint(const std::string& file_name) {
  const std::string prefix = kStepPrefix;
  if (file_name.rfind(prefix, 0) != 0 || fs::path(file_name).extension() != kCheckpointExtension)
    return std::nullopt;
  return std::stoll(file_name.substr(prefix.size()));
}

std::vector<std::string> RunDir::remove_interrupted_writes() const {
  std::vector<std::string> removed;
  for (const auto& e : fs::directory_iterator(path)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    const size_t at = name.rfind(".tmp");
    if (at == std::string::npos || at == 0) continue;
    const std::string pid = name.substr(at + 4);
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec;
    if (fs::remove(e.path(), ec)) removed.push_back(name);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace tinynmt
