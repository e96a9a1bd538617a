#include "export/peer_export.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "align/attention_io.h"
#include "export/peer_python.h"
#include "models/special_ids.h"
#include "run/run_dir.h"
#include "util/process.h"

namespace tinynmt::exporting {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kMissingModuleExit = 3;  // the converters' exit status when an import fails

std::vector<std::string> spm_files(const LoadedModel& m, const std::string& run_dir) {
  const RunDir dir{run_dir};
  if (m.config.data.tokenizer.joint) return {dir.joint_spm_model()};
  return {dir.src_spm_model(), dir.tgt_spm_model()};
}

}  // namespace

void require_exportable(bool ok, const std::string& engine, const std::string& key,
                        const std::string& value, const std::string& need) {
  if (!ok)
    throw std::invalid_argument(
        fmt::format("{}: '{}' cannot be exported to {} (needs {})", key, value, engine, need));
}

json vocabulary(const SpmModel& spm) {
  json v = json::array();
  for (int64_t id = 0; id < spm.size(); ++id) v.push_back(spm.id_to_piece(id));
  return v;
}

json specials(const SpmModel& spm) {
  return json{{"pad", spm.id_to_piece(kPadId)},
              {"unk", spm.id_to_piece(kUnkId)},
              {"bos", spm.id_to_piece(kBosId)},
              {"eos", spm.id_to_piece(kEosId)}};
}

void write_tensor(const std::string& dir, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  std::vector<float> data(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  align::write_npy((fs::path(dir) / (name + ".npy")).string(), data, c.sizes().vec());
}

void write_peer_inputs(const PeerFormat& format, const LoadedModel& m, const std::string& dir) {
  format.check(m.config.model);
  json files = json::object();
  for (const auto& p : m.model->named_parameters(/*recurse=*/true)) {
    write_tensor(dir, p.key(), p.value());
    files[p.key()] = p.value().sizes().vec();
  }
  json j = format.describe(m, dir);
  j["format"] = format.tag;
  j["parameters"] = files;
  j["source_vocabulary"] = vocabulary(m.tokenizer.src());
  j["target_vocabulary"] = vocabulary(m.tokenizer.tgt());
  j["special_tokens"] = specials(m.tokenizer.tgt());
  j["decoder_start_token"] = m.tokenizer.tgt().id_to_piece(kBosId);  // decode/greedy.cpp: BOS
  j["add_source_eos"] = true;  // decode/translator.cpp: source pieces + </s>
  const std::string path = (fs::path(dir) / "model.json").string();
  std::ofstream out(path);
  out << j.dump(1) << '\n';
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write", path));
}

void export_to_peer(const PeerFormat& format, const PeerExportOptions& o) {
  std::error_code ec;
  if (fs::exists(o.out) && !fs::is_empty(o.out, ec) && !o.force)
    throw std::runtime_error(
        fmt::format("{}: exists and is not empty (give --force to replace it)", o.out));
  const std::string script = repository_file(format.script);
  if (script.empty())
    throw std::runtime_error(fmt::format(
        "{}: not found under the working directory or beside the tinynmt binary", format.script));
  LoadedModel m = load_model(o.run_dir, o.checkpoint, "cpu");
  TempDir tmp;
  write_peer_inputs(format, m, tmp.path());  // checks the model before writing anything
  const std::string python = peer_python();
  std::vector<std::string> args = {tmp.path(), o.out};
  if (!o.quantization.empty()) args.insert(args.end(), {"--quantization", o.quantization});
  if (o.force) args.push_back("--force");
  spdlog::info("converting {} (step {}) to {} with {} {}", m.checkpoint, m.state.step, format.name,
               python, script);
  const auto r = run_python(python, script, args, (fs::path(tmp.path()) / "stderr.txt").string());
  if (r.exit_code == kMissingModuleExit)
    throw std::runtime_error(
        fmt::format("the {} Python module is not importable by {}: install it with "
                    "scripts/install_peers.sh {} (or set TINYNMT_PYTHON)",
                    format.module, python, format.module));
  if (r.exit_code == 127)
    throw std::runtime_error(fmt::format("cannot run {} (set TINYNMT_PYTHON)", python));
  if (r.exit_code != 0)
    throw std::runtime_error(
        fmt::format("{} failed (exit {}): {}", format.script, r.exit_code, r.last_error));
  for (const auto& f : spm_files(m, o.run_dir))
    fs::copy_file(f, fs::path(o.out) / fs::path(f).filename(),
                  fs::copy_options::overwrite_existing);
}

}  // namespace tinynmt::exporting
