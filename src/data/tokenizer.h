// Subword tokenisation with SentencePiece (Kudo & Richardson 2018; unigram LM: Kudo 2018; BPE:
// Sennrich et al. 2016) through its C++ API. One Tokenizer holds the source and target models
// (the same model twice when the vocabulary is joint); the trainer, translator and aligner share
// it. Ids are fixed across tinynmt (models/special_ids.h): pad 0, unk 1, bos 2, eos 3.
// SentencePiece itself is reached through data/sentencepiece.h (the libtinynmt_spm.so shim);
// every function here throws DataError when a SentencePiece call fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace tinynmt {

class SentencePieceModel;  // data/sentencepiece.h

/// File names of the models inside a tokenizer directory: a run directory (whose names
/// run/run_dir.h gives) or the bench's temporary one.
constexpr const char* kJointSpmModel = "spm.model";    ///< joint vocabulary
constexpr const char* kSrcSpmModel = "spm.src.model";  ///< separate vocabularies: source side
constexpr const char* kTgtSpmModel = "spm.tgt.model";  ///< separate vocabularies: target side

/// One SentencePiece model (one side).
class SpmModel {
 public:
  SpmModel();
  ~SpmModel();
  SpmModel(SpmModel&& o) noexcept;
  SpmModel& operator=(SpmModel&& o) noexcept;
  SpmModel(const SpmModel&) = delete;
  SpmModel& operator=(const SpmModel&) = delete;

  /// Loads a .model file. Throws DataError ("PATH: cannot load SentencePiece model: ...").
  static SpmModel load(const std::string& path);

  /// Number of pieces (ids 0 .. size()-1), the special ids included.
  int64_t size() const;
  /// Text -> piece ids, no BOS/EOS added.
  std::vector<int64_t> encode(const std::string& text) const;
  /// Text -> pieces (e.g. "▁Ein", "▁Mann").
  std::vector<std::string> pieces(const std::string& text) const;
  /// Ids -> detokenised text. Stops at the first EOS; PAD and BOS are dropped; UNK decodes to
  /// SentencePiece's " ⁇ ". Throws DataError on an id outside [0, size()).
  std::string decode(const std::vector<int64_t>& ids) const;
  /// The piece of one id ("<pad>", "<unk>", "<s>", "</s>" for the special ids).
  std::string id_to_piece(int64_t id) const;
  /// The id of a piece (kUnkId when unknown).
  int64_t piece_to_id(const std::string& piece) const;

 private:
  std::unique_ptr<SentencePieceModel> sp_;
};

/// Source and target tokenisation for one run.
class Tokenizer {
 public:
  /// Loads the models stored in `run_dir`: spm.model (joint) or spm.src.model + spm.tgt.model
  /// (separate). Throws DataError when neither is there.
  static Tokenizer load(const std::string& run_dir);
  /// Loads the models of one mode (use the run's data.tokenizer.joint when both kinds exist).
  /// Throws DataError when a model file is missing or unreadable.
  static Tokenizer load(const std::string& run_dir, bool joint);

  /// True when `run_dir` holds the models for the mode `joint`.
  static bool exists(const std::string& run_dir, bool joint);

  /// Reuses the models in `run_dir` when the ones for `cfg.joint` are present (logged), otherwise
  /// trains them with SentencePiece (`cfg.type` unigram|bpe, `cfg.vocab_size`,
  /// `cfg.character_coverage`, at most `cfg.input_sentence_size` sentences sampled) on the
  /// given training text -- a joint model on src and tgt lines together, or one model per side
  /// -- and writes them to `run_dir` (created if needed). Ids: pad 0, unk 1, bos 2, eos 3.
  /// When vocab_size is larger than the corpus supports, training is retried with
  /// hard_vocab_limit=false (a smaller vocabulary, with a warning). Throws DataError naming
  /// data.tokenizer.vocab_size when training still fails.
  static Tokenizer train_or_load(const TokenizerConfig& cfg, const std::string& run_dir,
                                 const std::vector<std::string>& train_src,
                                 const std::vector<std::string>& train_tgt,
                                 bool* trained = nullptr);

  bool joint() const { return joint_; }
  int64_t src_vocab_size() const { return src().size(); }
  int64_t tgt_vocab_size() const { return tgt().size(); }
  const SpmModel& src() const { return *src_; }
  const SpmModel& tgt() const { return joint_ ? *src_ : *tgt_; }

  /// Source ids for the encoder: pieces followed by kEosId.
  std::vector<int64_t> encode_src(const std::string& text) const;
  /// Target ids y without BOS/EOS (build decoder inputs/outputs with make_tgt_in/make_tgt_out).
  std::vector<int64_t> encode_tgt(const std::string& text) const;
  std::vector<std::string> src_pieces(const std::string& text) const { return src().pieces(text); }
  std::vector<std::string> tgt_pieces(const std::string& text) const { return tgt().pieces(text); }
  /// Detokenised text (see SpmModel::decode).
  std::string decode_src(const std::vector<int64_t>& ids) const { return src().decode(ids); }
  std::string decode_tgt(const std::vector<int64_t>& ids) const { return tgt().decode(ids); }

 private:
  bool joint_ = true;
  std::shared_ptr<SpmModel> src_, tgt_;  // tgt_ is null when joint
};

/// Decoder input for teacher forcing: BOS y1 ... yn (length n+1).
std::vector<int64_t> make_tgt_in(const std::vector<int64_t>& y);
/// Decoder reference output: y1 ... yn EOS (length n+1).
std::vector<int64_t> make_tgt_out(const std::vector<int64_t>& y);

/// Trains one SentencePiece model on `sentences` and writes it to `model_path`, plus
/// SentencePiece's `.vocab` next to it (trained in a temporary folder, then renamed into place).
/// See Tokenizer::train_or_load for the options, retry and errors.
void train_spm_model(const TokenizerConfig& cfg, const std::vector<const std::string*>& sentences,
                     const std::string& model_path);

}  // namespace tinynmt
