// The training loop behind `tinynmt train`: data, tokenizer, model, optimiser, schedule, loss,
// validation (loss, perplexity, greedy BLEU and chrF), checkpoints, resume, signals, progress,
// metrics.jsonl and curves.png. `train()` is the entry; `Trainer` holds the run's state and its
// phases (setup, step, validate, checkpoint, stop decision).
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "align/curves.h"
#include "align/training_links.h"
#include "config/config.h"
#include "data/batching.h"
#include "data/tokenizer.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "run/run_lock.h"
#include "train/communicator.h"
#include "train/ema.h"
#include "train/metrics_log.h"
#include "train/schedule.h"
#include "train/train_step.h"
#include "train/validation.h"

namespace tinynmt {

/// How a training run ended.
enum class TrainOutcome { kFinished, kEarlyStopped, kInterrupted, kDiverged };

struct TrainResult {
  TrainOutcome outcome = TrainOutcome::kFinished;
  int64_t steps = 0;
  double best_score = 0;
  std::string message;  ///< one line for the user
};

/// Set by SIGINT/SIGTERM handlers (install_stop_handlers); the loop finishes the current step,
/// saves `last` and returns kInterrupted.
std::atomic<int>& stop_signal();
void install_stop_handlers();

/// Trains according to `cfg` (validated by the caller) in this process alone: builds a Trainer
/// with a SingleProcessCommunicator and runs it. When RUN_DIR/last.ckpt exists the run resumes
/// from it (model, optimiser, schedule, data position, RNG). Throws on bad data or I/O errors; a
/// NaN/inf loss returns kDiverged without overwriting the last good checkpoint.
TrainResult train(const Config& cfg);

/// One training run, in one process or as one rank of a data-parallel group. Rank 0 alone holds
/// the run directory's lock, writes it (config.yaml, metrics.jsonl, curves.png, checkpoints),
/// validates and logs. Each rank trains a disjoint share (data/batching.h rank_share) of every
/// global batch of training.batch_size target tokens; the gradients of loss sums divided by the
/// global batch's target tokens are summed over the ranks in one flat all-reduce per step, so
/// the update equals the single process's. Every rank stops at the same step (signals, time,
/// NaN and early stopping are agreed through the same all-reduce or a broadcast from rank 0).
/// With training.ema_decay > 0, rank 0 alone keeps the exponential moving average of the weights
/// (train/ema.h; every rank holds the same weights, so the others need none): it validates with
/// it and saves it as the model of `last`, `best` and the numbered checkpoints, and `last` keeps
/// the raw weights beside it, from which every rank resumes whatever the world size.
class Trainer {
 public:
  /// `cfg` must outlive the Trainer. A null `comm` means a SingleProcessCommunicator.
  explicit Trainer(const Config& cfg, std::unique_ptr<Communicator> comm = nullptr);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  /// Sets up (data, tokenizer, model, optimiser, resume) and trains until a stop condition:
  /// training.max_steps / max_epochs / max_minutes, early stopping, a NaN/inf loss (kDiverged,
  /// the last good checkpoint kept) or SIGINT/SIGTERM (kInterrupted, `last` saved). Call once.
  /// Throws ConfigError for bf16 without CUDA, std::runtime_error on bad data or I/O errors or
  /// when another live trainer holds the run directory (run/run_lock.h), CommError
  /// (train/c10d_communicator.h) when a rank is lost or the ranks' configs differ.
  TrainResult run();

 private:
  /// What the loop does after a phase.
  enum class Flow {
    kContinue,  ///< go on training
    kFinish,    ///< leave the loop normally: final save of `last` and the summary line
    kReturn,    ///< return result_ now (divergence, signal): nothing more is written
  };

  // Setup (in this order: RNG and file effects are those of the original single function).
  void setup();
  void set_run_paths();
  void setup_environment();
  void load_train_data();
  void load_dev_data();
  void build_model();
  void resume_or_start_fresh();
  void drop_later_records();
  void open_metrics_log();
  void plan_batches();
  void start_clock();

  // The loop.
  Flow train_epoch();
  Flow step(const BatchPlan& plan);
  torch::Tensor reduce_gradients(const torch::Tensor& step_loss);
  Flow log_progress();
  Flow after_step();
  Flow end_epoch();
  TrainResult finish();
  TrainResult already_finished();
  std::string time_cap_message() const;
  void write_stop_record();

  // Guided alignment (train/trainer_guided.cpp), on when data.train.alignment is set.
  void load_guided_links(const ParallelText& train_text);
  int64_t supervised_rows_of(const std::vector<int64_t>& rows) const;
  /// The guided term of micro-batch `mb` (on device_), or none (off, or nothing supervised).
  std::optional<GuidedTerm> guided_term(const Batch& mb, int64_t step_supervised) const;
  void add_guided_record(nlohmann::json& record);

  // The data-parallel group (train/trainer_sync.cpp).
  bool dist() const { return comm_->world_size() > 1; }
  void check_same_config();
  Tokenizer load_tokenizer(const ParallelText& train_text, bool* trained);
  std::string fetch_from_main(const std::string& path);
  const std::filesystem::path& scratch_dir();
  void seed_rank_stream();
  double share_score(double score);

  // Validation, checkpoints, stop decision.
  bool validate();  ///< true when early stopping triggers
  void log_validation(const Validation& v, bool better, double t0);
  void update_report();         ///< RUN_DIR/report.html (train/run_report.h), rank 0
  bool report_failed_ = false;  ///< a failed report is warned about once, then skipped
  void render_curves();
  void save_last();
  void save_best();
  void save_numbered();
  void restore_weights(bool resumed, const std::vector<torch::Tensor>& raw);
  WeightEma* ema() { return ema_ ? &*ema_ : nullptr; }
  bool step_limit_reached() const;
  bool epoch_limit_reached() const;
  Flow diverged(double loss, int64_t at_step);
  Flow interrupted(int sig);
  bool is_main() const { return comm_->rank() == 0; }
  double elapsed() const;
  double eta() const;
  void reset_window();

  const Config& cfg_;
  const TrainingConfig& t_;
  std::unique_ptr<Communicator> comm_;
  std::optional<RunLock> lock_;        ///< rank 0: the run directory's lock
  std::filesystem::path scratch_dir_;  ///< ranks > 0: rank 0's files (tokenizer, checkpoint)
  std::string run_dir_;
  torch::Device device_{torch::kCPU};
  int64_t threads_ = 0;
  bool use_bf16_ = false;
  std::string config_yaml_;

  std::optional<Tokenizer> tok_;
  EncodedCorpus train_data_;
  std::optional<DevSet> dev_;
  std::shared_ptr<Seq2SeqImpl> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<LrSchedule> schedule_;
  std::optional<TokenBatcher> batcher_;
  std::optional<WeightEma> ema_;  ///< rank 0, training.ema_decay > 0
  TrainState state_;

  // The run directory's files (set_run_paths).
  std::filesystem::path config_path_, last_path_, best_path_, curves_path_;
  std::string metrics_path_;
  std::optional<MetricsLog> metrics_;  ///< rank 0 only
  std::vector<align::CurvePoint> curve_;

  int64_t nan_step_ = -1;  ///< test hook TINYNMT_TEST_NAN_STEP
  bool tty_ = false;       ///< stderr is a terminal: a live progress line
  double start_ = 0;       ///< now_seconds() at step 0 of the run (resumed time included)
  double budget_s_ = 0;    ///< training.max_minutes in seconds; 0 = no limit
  double lr_ = 0;          ///< learning rate of the current step
  // The progress window: throughput and mean loss since the last log line.
  double window_start_ = 0;
  int64_t window_tokens_ = 0;
  torch::Tensor window_loss_;  ///< scalar, double, on device_: summed loss (no host sync)
  int64_t window_loss_tokens_ = 0;
  // Data-parallel: what the ranks agreed on in the last step's all-reduce, and its cost.
  bool agreed_stop_ = false;         ///< a rank received SIGINT/SIGTERM
  bool agreed_out_of_time_ = false;  ///< a rank's clock passed training.max_minutes
  double window_allreduce_s_ = 0;    ///< seconds in all-reduce since the last log line
  int64_t window_allreduce_steps_ = 0;
  int64_t allreduce_bytes_ = 0;  ///< bytes of one step's flat buffer
  bool guided_ = false;
  std::vector<align::PieceLinks> guided_links_;  ///< per training pair
  std::vector<int64_t> guided_rows_;             ///< supervised target pieces per training pair
  torch::Tensor window_guided_;     ///< [] on device_: this rank's guided loss sum in the window
  int64_t window_guided_rows_ = 0;  ///< the group's supervised pieces in the window
  TrainResult result_;
  std::string stop_reason_;  ///< max_steps | max_epochs | max_minutes | early_stopping
};

}  // namespace tinynmt
