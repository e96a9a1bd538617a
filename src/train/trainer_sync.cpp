// The Trainer's data-parallel pieces (train/trainer.h): the one flat all-reduce per step, the
// check that all ranks run the same config, rank 0's files for the other ranks, per-rank dropout
// streams and rank 0's validation score. A group of one never calls them.
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "run/run_dir.h"
#include "train/c10d_communicator.h"
#include "train/trainer.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {
namespace fs = std::filesystem;

// FNV-1a, 64 bits: the same on every machine (std::hash is not specified to be).
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// One flat buffer and one all-reduce per step: every parameter's gradient (zeros where this
// rank has none), then per parameter a has-gradient count, the loss sum, the stop and the
// out-of-time flags. The gradients are of loss sums divided by the whole group's target tokens
// (Trainer::step), so their sum over ranks is the single process's gradient.
torch::Tensor Trainer::reduce_gradients(const torch::Tensor& step_loss) {
  std::vector<torch::Tensor> params = model_->parameters();
  const int64_t n_params = static_cast<int64_t>(params.size());
  int64_t n = 0;
  for (const auto& p : params) n += p.numel();
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device_);
  torch::Tensor flat = torch::zeros({n + n_params + 3}, opts);  // [grads | has_grad | loss, flags]
  std::vector<float> has_grad(static_cast<size_t>(n_params), 0.f);
  int64_t offset = 0;
  for (int64_t i = 0; i < n_params; ++i) {
    const auto& g = params[static_cast<size_t>(i)].grad();
    const int64_t k = params[static_cast<size_t>(i)].numel();
    if (g.defined()) {
      flat.narrow(0, offset, k).copy_(g.reshape({-1}));  // [k]
      has_grad[static_cast<size_t>(i)] = 1.f;
    }
    offset += k;
  }
  const float stop = stop_signal().load() != 0 ? 1.f : 0.f;
  const float late = budget_s_ > 0 && elapsed() >= budget_s_ ? 1.f : 0.f;
  flat.narrow(0, n, n_params).copy_(torch::tensor(has_grad));  // [n_params]
  flat.narrow(0, n + n_params, 1).copy_(step_loss.reshape({1}));
  flat.narrow(0, n + n_params + 1, 2).copy_(torch::tensor({stop, late}));  // [2]

  const double t0 = now_seconds();
  comm_->all_reduce_sum(flat);
  window_allreduce_s_ += now_seconds() - t0;
  ++window_allreduce_steps_;
  allreduce_bytes_ = flat.numel() * static_cast<int64_t>(sizeof(float));

  torch::Tensor counts = flat.narrow(0, n, n_params + 3).to(torch::kCPU);  // [n_params + 3]
  auto c = counts.accessor<float, 1>();
  offset = 0;
  for (int64_t i = 0; i < n_params; ++i) {
    auto& p = params[static_cast<size_t>(i)];
    const int64_t k = p.numel();
    // A parameter no rank has a gradient for stays without one, as in a single process.
    p.mutable_grad() = c[i] > 0 ? flat.narrow(0, offset, k).view(p.sizes()) : torch::Tensor();
    offset += k;
  }
  agreed_stop_ = c[n_params + 1] > 0;
  agreed_out_of_time_ = c[n_params + 2] > 0;
  return flat.narrow(0, n + n_params, 1).reshape({});  // [] the group's loss sum
}

// Ranks started with different configs would train different models: refuse at start. The hash
// leaves out run.dir and run.threads, which may differ between machines.
void Trainer::check_same_config() {
  Config c = cfg_;
  c.run.dir.clear();
  c.run.threads = 0;
  const auto mine = static_cast<int64_t>(fnv1a(to_yaml_string(c)));
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(device_);
  torch::Tensor root = torch::full({1}, mine, opts);  // [1]
  comm_->broadcast(root, 0);
  torch::Tensor differs = torch::zeros({comm_->world_size()}, opts);  // [world]
  if (root.item<int64_t>() != mine) differs[comm_->rank()] = 1;
  comm_->all_reduce_sum(differs);
  differs = differs.to(torch::kCPU);
  std::string ranks;
  for (int r = 0; r < comm_->world_size(); ++r)
    if (differs[r].item<int64_t>() != 0) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  if (!ranks.empty())
    throw CommError(
        fmt::format("rank {}: rank(s) {} started with a config different from rank "
                    "0's (hash of the resolved config, run.dir and run.threads "
                    "aside): start every rank with the same CONFIG and --set options",
                    comm_->rank(), ranks));
}

// Rank 0 trains or loads the SentencePiece models in the run directory; the other ranks receive
// them into their scratch directory and load them from there.
Tokenizer Trainer::load_tokenizer(const ParallelText& train_text, bool* trained) {
  std::optional<Tokenizer> tok;
  if (is_main())
    tok.emplace(Tokenizer::train_or_load(cfg_.data.tokenizer, run_dir_, train_text.src,
                                         train_text.tgt, trained));
  if (!dist()) return std::move(*tok);
  const RunDir dir{run_dir_};
  for (const std::string& f : {dir.joint_spm_model(), dir.src_spm_model(), dir.tgt_spm_model()})
    fetch_from_main(f);
  if (is_main()) return std::move(*tok);
  return Tokenizer::train_or_load(cfg_.data.tokenizer, scratch_dir().string(), train_text.src,
                                  train_text.tgt, trained);
}

// Rank 0's file `path` on every rank: rank 0 returns `path`, the others a copy in their scratch
// directory; "" on every rank when rank 0 has no such file.
std::string Trainer::fetch_from_main(const std::string& path) {
  std::string bytes;
  if (is_main()) bytes = fs::exists(path) ? "1" + read_bytes(path) : "0";
  comm_->broadcast_bytes(bytes, 0);
  if (bytes.empty() || bytes[0] != '1') return "";
  if (is_main()) return path;
  fs::path copy = scratch_dir() / fs::path(path).filename();
  std::ofstream out(copy, std::ios::binary);
  out.write(bytes.data() + 1, static_cast<std::streamsize>(bytes.size() - 1));
  if (!out) throw std::runtime_error("cannot write " + copy.string());
  return copy.string();
}

const fs::path& Trainer::scratch_dir() {
  if (scratch_dir_.empty()) {
    scratch_dir_ = fs::temp_directory_path() /
                   fmt::format("tinynmt-rank{}-{}", comm_->rank(), static_cast<long>(::getpid()));
    fs::create_directories(scratch_dir_);
  }
  return scratch_dir_;
}

// Dropout streams differ per rank: ranks > 0 reseed from (seed, rank, step) after the start or
// the resume (which restored rank 0's generator state on every rank). Rank 0 keeps its stream,
// the single process's.
void Trainer::seed_rank_stream() {
  if (is_main()) return;
  seed_everything(static_cast<uint64_t>(cfg_.run.seed) + 1000003ULL * comm_->rank() +
                  7919ULL * static_cast<uint64_t>(state_.step));
}

// Rank 0's validation score on every rank (through the store: validation may take longer than
// run.c10d_timeout).
double Trainer::share_score(double score) {
  std::string bytes = fmt::format("{:.17g}", score);
  comm_->broadcast_bytes(bytes, 0);
  return std::stod(bytes);
}

}  // namespace tinynmt
