#include "run/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run/run_dir.h"
#include "util/one_line.h"
#include "util/torch_compat.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

// Writes `bytes` to `path` (created or truncated) and fsyncs it. Throws std::runtime_error with
// the system's reason (e.g. "No space left on device") when a write, the fsync or the close fails.
void write_durably(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw std::runtime_error(std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error(std::strerror(errno));
}

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

nlohmann::json state_to_json(const TrainState& s) {
  return {{"step", s.step},
          {"epoch", s.epoch},
          {"batch_in_epoch", s.batch_in_epoch},
          {"src_vocab", s.src_vocab},
          {"tgt_vocab", s.tgt_vocab},
          {"best_score", s.best_score},
          {"has_best", s.has_best},
          {"bad_validations", s.bad_validations},
          {"elapsed_seconds", s.elapsed_seconds},
          {"target_tokens", s.target_tokens},
          {"schedule_state", s.schedule_state},
          {"metric", s.metric}};
}

TrainState state_from_json(const nlohmann::json& j) {
  TrainState s;
  s.step = j.at("step");
  s.epoch = j.at("epoch");
  s.batch_in_epoch = j.at("batch_in_epoch");
  s.src_vocab = j.at("src_vocab");
  s.tgt_vocab = j.at("tgt_vocab");
  s.best_score = j.at("best_score");
  s.has_best = j.at("has_best");
  s.bad_validations = j.at("bad_validations");
  s.elapsed_seconds = j.at("elapsed_seconds");
  s.target_tokens = j.at("target_tokens");
  s.schedule_state = j.at("schedule_state");
  s.metric = j.at("metric");
  return s;
}

std::string read_string(torch::serialize::InputArchive& a, const std::string& key,
                        const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v) || !v.isString())
    throw std::runtime_error(fmt::format("{}: not a tinynmt checkpoint (no '{}')", path, key));
  return v.toStringRef();
}

/// Loads the archive at `path` (tensors mapped to `device`) and reads its state and config.
CheckpointInfo open_checkpoint(const std::string& path, const torch::Device& device,
                               torch::serialize::InputArchive& archive) {
  try {
    archive.load_from(path, device);
  } catch (const std::exception&) {
    throw std::runtime_error(
        fmt::format("{}: cannot read checkpoint (corrupt or not a tinynmt "
                    "checkpoint)",
                    path));
  }
  CheckpointInfo info;
  const std::string state = read_string(archive, "state", path);
  try {
    info.state = state_from_json(nlohmann::json::parse(state));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: the stored training state is not valid ({})", path, one_line(e.what())));
  }
  info.config_yaml = read_string(archive, "config", path);
  return info;
}

// Adam/AdamW moments written per parameter position ("optimizer_moments": "size", "I/step",
// "I/exp_avg", "I/exp_avg_sq", "I/max_exp_avg_sq"), not through Optimizer::save, whose archive
// keys parameters by their in-memory address, as a string in 1.13 and as a number in 2.x:
// LibTorch 2.x gave the moments of a 1.13 checkpoint to the wrong parameters. This layout reads
// the same on both lines.
template <typename State>
void save_moments(torch::optim::Optimizer& opt, torch::serialize::OutputArchive& out) {
  int64_t i = 0;
  for (auto& group : opt.param_groups())
    for (auto& p : group.params()) {
      auto it = opt.state().find(compat::optimizer_state_key(opt, p));
      if (it != opt.state().end()) {
        const auto& st = static_cast<const State&>(*it->second);
        const std::string k = std::to_string(i);
        out.write(k + "/step", torch::tensor(static_cast<int64_t>(st.step())));
        out.write(k + "/exp_avg", st.exp_avg());
        out.write(k + "/exp_avg_sq", st.exp_avg_sq());
        if (st.max_exp_avg_sq().defined()) out.write(k + "/max_exp_avg_sq", st.max_exp_avg_sq());
      }
      ++i;
    }
  out.write("size", torch::tensor(i));
}

template <typename State>
void load_moments(torch::optim::Optimizer& opt, torch::serialize::InputArchive& in,
                  const std::string& path) {
  torch::Tensor size;
  in.read("size", size);
  int64_t n = 0;
  for (auto& group : opt.param_groups()) n += static_cast<int64_t>(group.params().size());
  if (size.item<int64_t>() != n)
    throw std::runtime_error(
        fmt::format("{}: the optimizer state holds {} parameters, this model has {}", path,
                    size.item<int64_t>(), n));
  int64_t i = 0;
  for (auto& group : opt.param_groups())
    for (auto& p : group.params()) {
      const std::string k = std::to_string(i++);
      torch::Tensor step, m, v, vmax;
      if (!in.try_read(k + "/step", step)) continue;
      in.read(k + "/exp_avg", m);
      in.read(k + "/exp_avg_sq", v);
      if (m.sizes() != p.sizes() || v.sizes() != p.sizes())
        throw std::runtime_error(
            fmt::format("{}: optimizer moments of parameter {} do not fit this model", path, k));
      auto st = std::make_unique<State>();
      st->step(step.item<int64_t>());
      st->exp_avg(m.to(p.device()));
      st->exp_avg_sq(v.to(p.device()));
      if (in.try_read(k + "/max_exp_avg_sq", vmax)) st->max_exp_avg_sq(vmax.to(p.device()));
      opt.state()[compat::optimizer_state_key(opt, p)] = std::move(st);
    }
}

void save_optimizer(torch::optim::Optimizer& opt, torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive moments;
  if (dynamic_cast<torch::optim::AdamW*>(&opt))
    save_moments<torch::optim::AdamWParamState>(opt, moments);
  else if (dynamic_cast<torch::optim::Adam*>(&opt))
    save_moments<torch::optim::AdamParamState>(opt, moments);
  else if (dynamic_cast<torch::optim::SGD*>(&opt) && opt.state().empty())
    return;  // plain SGD keeps no state
  else
    throw std::logic_error("save_checkpoint: only Adam, AdamW and plain SGD states are saved");
  archive.write("optimizer_moments", moments);
}

void load_optimizer(torch::optim::Optimizer& opt, torch::serialize::InputArchive& archive,
                    const std::string& path) {
  if (dynamic_cast<torch::optim::SGD*>(&opt)) return;  // plain SGD keeps no state
  torch::serialize::InputArchive moments;
  if (archive.try_read("optimizer_moments", moments)) {
    if (dynamic_cast<torch::optim::AdamW*>(&opt))
      load_moments<torch::optim::AdamWParamState>(opt, moments, path);
    else
      load_moments<torch::optim::AdamParamState>(opt, moments, path);
    return;
  }
  torch::serialize::InputArchive legacy;  // checkpoints written before optimizer_moments
  if (archive.try_read("optimizer", legacy)) opt.load(legacy);
}

void save_raw_weights(const std::vector<torch::Tensor>& raw,
                      torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive weights;
  for (size_t i = 0; i < raw.size(); ++i) weights.write(std::to_string(i), raw[i]);
  weights.write("size", torch::tensor(static_cast<int64_t>(raw.size())));
  archive.write("raw_weights", weights);
}

// Reads "raw_weights" into `out` when the archive has them; shapes checked against `model`.
bool load_raw_weights(torch::serialize::InputArchive& archive, torch::nn::Module& model,
                      const torch::Device& device, const std::string& path,
                      std::vector<torch::Tensor>* out) {
  torch::serialize::InputArchive weights;
  if (!archive.try_read("raw_weights", weights)) return false;
  const std::vector<torch::Tensor> mine = weight_tensors(model);
  torch::Tensor size;
  weights.read("size", size);
  if (size.item<int64_t>() != static_cast<int64_t>(mine.size()))
    throw std::runtime_error(fmt::format("{}: the raw weights hold {} tensors, this model has {}",
                                         path, size.item<int64_t>(), mine.size()));
  out->clear();
  for (size_t i = 0; i < mine.size(); ++i) {
    torch::Tensor t;
    weights.read(std::to_string(i), t);
    if (t.sizes() != mine[i].sizes())
      throw std::runtime_error(
          fmt::format("{}: raw weight tensor {} does not fit this model", path, i));
    out->push_back(t.to(device, mine[i].scalar_type()));
  }
  return true;
}

}  // namespace

std::vector<torch::Tensor> weight_tensors(torch::nn::Module& model) {
  std::vector<torch::Tensor> out;
  std::vector<const void*> seen;
  auto add = [&](const torch::Tensor& t) {
    if (!t.defined() || !t.is_floating_point()) return;
    if (std::find(seen.begin(), seen.end(), t.unsafeGetTensorImpl()) != seen.end()) return;
    seen.push_back(t.unsafeGetTensorImpl());
    out.push_back(t);
  };
  for (const auto& p : model.parameters()) add(p);
  for (const auto& b : model.buffers()) add(b);
  return out;
}

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const TrainState& state,
                     const std::string& config_yaml, const CheckpointHooks& hooks,
                     const std::vector<torch::Tensor>* raw_weights) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) save_optimizer(*optimizer, archive);
  if (raw_weights) save_raw_weights(*raw_weights, archive);
  archive.write("state", c10::IValue(state_to_json(state).dump()));
  archive.write("config", c10::IValue(config_yaml));
  archive.write("format", c10::IValue(std::string("tinynmt-checkpoint-1")));
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("rng_cpu", gen.get_state());
  }

  fs::path final_path(path);
  fs::path tmp = final_path;
  tmp += fmt::format(".tmp{}", ::getpid());
  try {
    // Serialised in memory first: LibTorch's file writer throws from its destructor when the
    // disk is full, which ends the process; a failed write() here is an ordinary error.
    std::ostringstream bytes(std::ios::binary);
    archive.save_to(bytes);
    write_durably(tmp.string(), bytes.str());
    if (hooks.before_rename) hooks.before_rename(tmp.string());
    fs::rename(tmp, final_path);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw std::runtime_error(fmt::format("{}: cannot write checkpoint: {}", path, e.what()));
  }
  fsync_path(final_path.parent_path().empty() ? "." : final_path.parent_path().string(), true);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  torch::serialize::InputArchive archive;
  CheckpointInfo info = open_checkpoint(path, torch::kCPU, archive);
  return info;
}

CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer, const torch::Device& device,
                               bool restore_rng, std::vector<torch::Tensor>* raw_weights) {
  torch::serialize::InputArchive archive;
  CheckpointInfo info = open_checkpoint(path, device, archive);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    throw std::runtime_error(fmt::format("{}: the checkpoint's weights do not fit this model ({})",
                                         path, msg.substr(0, msg.find('\n'))));
  }
  if (optimizer) load_optimizer(*optimizer, archive, path);
  if (raw_weights) {
    raw_weights->clear();
    info.has_raw_weights = load_raw_weights(archive, model, device, path, raw_weights);
  }
  if (restore_rng) {
    torch::Tensor rng;
    if (archive.try_read("rng_cpu", rng)) {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(rng.to(torch::kCPU));
    }
  }
  return info;
}

std::string checkpoint_path(const std::string& run_dir, const std::string& which) {
  const RunDir dir{run_dir};
  fs::path p = which == "best"   ? fs::path(dir.best_checkpoint())
               : which == "last" ? fs::path(dir.last_checkpoint())
                                 : fs::path(which);
  if (!fs::is_regular_file(p))
    throw std::runtime_error(fmt::format("{}: no such checkpoint", p.string()));
  return p.string();
}

}  // namespace tinynmt
