// The Trainer's setup phase (train/trainer.h): run directory, environment, data, tokenizer,
// model, optimiser, resume, metrics log, batch plan and clock, in the order of the original
// single training function (RNG consumption and files written depend on it).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "data/corpus.h"
#include "run/run_dir.h"
#include "train/metrics_log.h"
#include "train/train_step.h"
#include "train/trainer.h"
#include "util/runtime.h"

namespace tinynmt {
namespace {
namespace fs = std::filesystem;
}  // namespace

void Trainer::setup() {
  set_run_paths();
  setup_environment();
  load_train_data();
  load_dev_data();
  build_model();
  resume_or_start_fresh();
  open_metrics_log();
  plan_batches();
  start_clock();
}

void Trainer::set_run_paths() {
  run_dir_ = cfg_.run.dir;
  const RunDir dir{run_dir_};
  config_path_ = dir.config_file();
  last_path_ = dir.last_checkpoint();
  best_path_ = dir.best_checkpoint();
  metrics_path_ = dir.metrics_file();
  curves_path_ = dir.curves_image();
}

void Trainer::setup_environment() {
  if (is_main()) {  // ranks > 0 never write the run directory
    fs::create_directories(run_dir_);
    lock_.emplace(run_dir_);
    for (const auto& name : RunDir{run_dir_}.remove_interrupted_writes())
      spdlog::info("removed {}: left by an interrupted write", name);
  }
  tune_allocator();
  threads_ = configure_threads(cfg_.run.threads, comm_->local_world_size());
  device_ = resolve_device(cfg_.run.device);
  if (dist() && device_.is_cuda() && !device_.has_index())  // one GPU per local rank
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm_->local_rank()));
  if (t_.precision == "bf16" && !device_.is_cuda())
    throw ConfigError("training.precision: bf16 is supported on CUDA only; use fp32 on CPU");
  use_bf16_ = t_.precision == "bf16";
  seed_everything(static_cast<uint64_t>(cfg_.run.seed));
  config_yaml_ = to_yaml_string(cfg_);
  if (dist()) check_same_config();
  if (is_main()) {
    std::ofstream out(config_path_);
    out << config_yaml_;
    spdlog::info("run directory {} (device {}, {} threads{})", run_dir_, device_.str(), threads_,
                 dist() ? fmt::format(" per rank, {} ranks", comm_->world_size()) : "");
  }
}

namespace {

// "data.train.src = 'a.de', data.train.tgt = 'a.en'" or "data.train.tsv = 'a.tsv'".
std::string corpus_keys(const CorpusFiles& f) {
  if (!f.tsv.empty()) return fmt::format("data.train.tsv = '{}'", f.tsv);
  return fmt::format("data.train.src = '{}', data.train.tgt = '{}'", f.src, f.tgt);
}

std::string empty_corpus_message(const ParallelText& text, const CorpusFiles& f) {
  return fmt::format("the training corpus is empty: {} {} no sentence pairs{}", corpus_keys(f),
                     f.tsv.empty() ? "have" : "has",
                     text.skipped_empty > 0
                         ? fmt::format(" ({} blank or one-sided lines skipped)", text.skipped_empty)
                         : std::string());
}

}  // namespace

void Trainer::load_train_data() {
  ParallelText train_text = read_parallel(cfg_.data.train);  // freed on return
  if (train_text.src.empty()) throw DataError(empty_corpus_message(train_text, cfg_.data.train));
  if (train_text.skipped_empty > 0 && is_main())
    spdlog::warn("{}: skipped {} empty pairs",
                 cfg_.data.train.tsv.empty() ? cfg_.data.train.src : cfg_.data.train.tsv,
                 train_text.skipped_empty);
  bool trained_tok = false;
  tok_.emplace(load_tokenizer(train_text, &trained_tok));
  if (is_main())
    spdlog::info("{} SentencePiece vocabulary: src {} tgt {} ({})",
                 tok_->joint() ? "joint" : "separate", tok_->src_vocab_size(),
                 tok_->tgt_vocab_size(), trained_tok ? "trained" : "reused");
  train_data_ = encode_corpus(*tok_, train_text, cfg_.data.max_length);
  if (is_main())
    spdlog::info("training pairs: {} kept, {} longer than {} pieces dropped", train_data_.size(),
                 train_data_.dropped_long, cfg_.data.max_length);
  if (!cfg_.data.train.alignment.empty()) load_guided_links(train_text);
  if (train_data_.size() == 0)
    throw DataError(fmt::format(
        "{}: no training pairs left: all {} are longer than data.max_length = {} pieces",
        corpus_keys(cfg_.data.train), train_data_.dropped_long, cfg_.data.max_length));
}

void Trainer::load_dev_data() {
  if (!cfg_.data.dev.defined() || !is_main()) return;  // rank 0 alone validates
  dev_ = load_dev_set(cfg_.data.dev, *tok_);
  if (is_main()) spdlog::info("dev pairs: {}", dev_->encoded.size());
}

void Trainer::build_model() {
  model_ = make_seq2seq(cfg_.model, tok_->src_vocab_size(), tok_->tgt_vocab_size());
  model_->to(device_);
  model_->train();
  if (is_main())
    spdlog::info("model: {} encoder, {} decoder with {} attention, {} parameters",
                 cfg_.model.encoder.type, cfg_.model.decoder.type, cfg_.model.decoder.attention,
                 count_parameters(*model_));
  optimizer_ = make_optimizer(t_, model_->parameters());
  schedule_.emplace(t_);
  state_.src_vocab = tok_->src_vocab_size();
  state_.tgt_vocab = tok_->tgt_vocab_size();
  state_.metric = t_.early_stopping.metric;
}

void Trainer::resume_or_start_fresh() {
  // Ranks > 0 load rank 0's checkpoint (they may run on machines without the run directory).
  std::string last = dist() ? fetch_from_main(last_path_.string())
                            : (fs::exists(last_path_) ? last_path_.string() : "");
  std::vector<torch::Tensor> raw;  // an EMA run's raw weights; its model weights are the EMA
  if (!last.empty()) {
    auto info = load_checkpoint(last, *model_, optimizer_.get(), device_, true, &raw);
    state_ = info.state;
    state_.metric = t_.early_stopping.metric;
    schedule_->load_state_json(state_.schedule_state);
    if (is_main()) {
      spdlog::info("resuming from {} at step {} (epoch {}, batch {})", last_path_.string(),
                   state_.step, state_.epoch + 1, state_.batch_in_epoch);
      drop_later_records();
    }
  } else if (is_main() && fs::exists(metrics_path_)) {
    fs::remove(metrics_path_);  // a fresh run: no stale records
  }
  restore_weights(!last.empty(), raw);
  // Every rank starts from rank 0's weights (nothing to do for one process).
  torch::NoGradGuard no_grad;
  for (auto& p : model_->parameters()) comm_->broadcast(p, 0);
  if (dist()) seed_rank_stream();
}

// The records of steps after the checkpoint (trained again from it) leave the logs.
void Trainer::drop_later_records() {
  const RunDir dir{run_dir_};
  for (const auto& path : {dir.metrics_file(), dir.report_attention()})
    if (int64_t n = drop_records_after_step(path, state_.step))
      spdlog::info("{}: dropped {} record(s) after step {}", path, n, state_.step);
}

void Trainer::open_metrics_log() {
  if (!is_main()) return;
  metrics_.emplace(metrics_path_);
  curve_ = read_curve_points(metrics_path_);
}

void Trainer::plan_batches() {
  batcher_.emplace(train_data_, t_.batch_size, static_cast<uint64_t>(cfg_.run.seed));
  auto stats = batcher_->stats(batcher_->plan(state_.epoch));
  if (is_main())
    spdlog::info("batches per epoch: {} (budget {} target tokens, padding src {:.1f}% tgt {:.1f}%)",
                 stats.batches, t_.batch_size, 100 * stats.src_padding(),
                 100 * stats.tgt_padding());
}

void Trainer::start_clock() {
  install_stop_handlers();
  // Test hook: TINYNMT_TEST_NAN_STEP=N turns the loss of step N into NaN (tests the divergence
  // stop without having to provoke a real one).
  const char* nan_step = std::getenv("TINYNMT_TEST_NAN_STEP");
  nan_step_ = nan_step ? std::atoll(nan_step) : -1;
  tty_ = ::isatty(STDERR_FILENO);
  start_ = now_seconds() - state_.elapsed_seconds;
  budget_s_ = t_.max_minutes > 0 ? t_.max_minutes * 60.0 : 0;
  window_start_ = now_seconds();
  window_loss_ =
      torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device_));  // []
}

}  // namespace tinynmt
