// The YAML configuration: typed structs with defaults, parsed from a file, overridden with
// `--set key=value`, validated in one pass. Key names follow ../shared/DESIGN.md's sketch.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/model_config.h"
#include "util/one_line.h"

namespace YAML {
class Node;
}

namespace tinynmt {

/// A bad config: the message is one line naming the file/line, the key path and the value
/// (control characters in it escaped by one_line, util/one_line.h).
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

/// A parallel corpus: two line-aligned files (src, tgt) or one TSV (src<TAB>tgt).
struct CorpusFiles {
  std::string src;
  std::string tgt;
  std::string tsv;
  /// Training corpus only: word links for guided alignment (Pharaoh, 0-based, source first),
  /// one line per corpus line; "" = no guided alignment.
  std::string alignment;
  bool defined() const { return !tsv.empty() || !src.empty() || !tgt.empty(); }
};

struct TokenizerConfig {
  std::string type = "unigram";  ///< unigram | bpe (SentencePiece model type)
  int64_t vocab_size = 8000;
  bool joint = true;  ///< one model for both languages
  double character_coverage = 1.0;
  int64_t input_sentence_size = 1000000;  ///< SentencePiece training sample size
};

struct DataConfig {
  CorpusFiles train, dev, test;
  TokenizerConfig tokenizer;
  int64_t max_length = 100;  ///< pairs with more pieces on either side are dropped in training
};

struct RunConfig {
  std::string dir = "runs/default";
  int64_t seed = 1;
  std::string device = "auto";   ///< auto | cpu | cuda | cuda:N
  int64_t threads = 0;           ///< 0 = all cores (divided by the ranks on this machine)
  std::string backend = "auto";  ///< data-parallel collectives: auto | gloo | nccl
  int64_t c10d_timeout = 60;  ///< seconds: rendezvous and each collective, before a rank gives up
};

struct EarlyStoppingConfig {
  std::string metric = "bleu";  ///< bleu | chrf | loss | ppl
  int64_t patience = 8;         ///< validations without improvement; 0 = off
};

/// Guided alignment (train/guided_alignment.h; on when data.train.alignment is set).
struct GuidedAlignmentConfig {
  double weight = 0.05;       ///< λ: the guided loss's weight beside the translation loss
  int64_t layer = -1;         ///< decoder layer, 0-based; -1 = the penultimate
  int64_t head = 0;           ///< head of that layer's cross-attention
  bool full_context = false;  ///< the head's layers recomputed without the causal mask
  bool null_to_eos = false;   ///< unlinked target pieces supervised onto the source EOS (NULL)
};

struct TrainingConfig {
  int64_t max_steps = 0;           ///< 0 = no limit
  int64_t max_epochs = 0;          ///< 0 = no limit
  double max_minutes = 0;          ///< wall-clock budget, 0 = no limit
  int64_t batch_size = 2048;       ///< target tokens per batch
  int64_t accumulate = 1;          ///< gradient accumulation: batches per optimiser step
  std::string optimizer = "adam";  ///< adam | adamw | sgd
  double lr = 5e-4;
  double beta1 = 0.9;
  double beta2 = 0.98;
  double weight_decay = 0.0;
  std::string schedule = "noam";  ///< constant | noam | plateau | warmup_linear
  int64_t warmup = 4000;          ///< warmup steps (noam, warmup_linear)
  double decay_factor = 0.5;      ///< plateau: lr *= factor
  int64_t plateau_patience = 2;   ///< plateau: validations without improvement before decay
  double min_lr = 1e-6;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;  ///< 0 = off
  int64_t validate_every = 500;
  int64_t log_every = 50;
  int64_t keep_checkpoints = 3;  ///< numbered step checkpoints kept besides last/best
  /// Exponential moving average of the weights (train/ema.h): ema = d*ema + (1-d)*theta after
  /// each optimiser step; validation and the saved model use it. 0 = off.
  double ema_decay = 0.0;
  bool ema_warmup = false;  ///< d_t = min(ema_decay, (1+t)/(10+t)) (TensorFlow's num_updates)
  EarlyStoppingConfig early_stopping;
  GuidedAlignmentConfig guided_alignment;
  std::string precision = "fp32";      ///< fp32 | bf16 (CUDA only)
  int64_t validate_max_sentences = 0;  ///< 0 = whole dev set for BLEU
  /// RUN_DIR/report.html shows the attention of the first N dev sentences at each validation
  /// (train/run_report.h); 0 = no report page.
  int64_t report_sentences = 4;
};

struct DecodingConfig {
  int64_t beam = 5;
  double alpha = 0.6;  ///< length penalty exponent
  /// gnmt: score / ((5+|y|)/6)^alpha; average: score / |y|^alpha (CTranslate2's)
  std::string length_penalty = "gnmt";
  double max_len_ratio = 1.5;  ///< max output length = ratio * source length + 10
  int64_t batch_size = 64;     ///< sentences per decoding batch
};

struct Config {
  RunConfig run;
  DataConfig data;
  ModelConfig model;
  TrainingConfig training;
  DecodingConfig decoding;
  std::string source_file;  ///< the YAML file it came from ("" for defaults)
};

/// Parses a YAML file. Unknown keys (with a suggestion), wrong types (with yaml-cpp's
/// line:column) and malformed YAML throw ConfigError. Does not validate; call validate().
Config load_config(const std::string& path);
/// Same, from a string; `name` is used in messages.
Config parse_config(const std::string& yaml_text, const std::string& name);

/// Applies one `key.path=value` override (value parsed as a YAML scalar). Throws ConfigError.
void apply_override(Config& cfg, const std::string& assignment);

/// Checks choices, ranges and cross-field rules (e.g. d_model % heads == 0). With check_files,
/// also that the data files exist. Throws ConfigError naming the key path and value.
void validate(const Config& cfg, bool check_files);

/// The resolved config (every key, defaults filled in) as YAML text.
std::string to_yaml_string(const Config& cfg);

/// Every known key path, e.g. "model.decoder.attention".
std::vector<std::string> config_keys();

/// Levenshtein distance (used for "did you mean" suggestions).
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace tinynmt
