// Inference over a trained run (loaded by run/load_model.h): batched translation of text lines
// (greedy or beam search, n-best lists, attention of the output hypothesis), and forced alignment
// of given sentence pairs (teacher-forced decoding, soft attention matrices and hard word
// alignments). `tinynmt translate` and `tinynmt align` are thin layers over this file.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "align/attention_io.h"
#include "align/pharaoh.h"
#include "config/config.h"
#include "data/tokenizer.h"
#include "decode/search.h"
#include "models/alignment_layer.h"
#include "models/seq2seq.h"
#include "run/load_model.h"

namespace tinynmt::decode {

/// Options of Translator.
struct TranslateOptions {
  int64_t beam = 5;    ///< K; 1 with n_best 1 runs greedy search
  double alpha = 0.6;  ///< length penalty exponent (decode/search.h length_penalty)
  LengthPenaltyForm length_penalty = LengthPenaltyForm::kGnmt;  ///< its form
  int64_t n_best = 1;          ///< hypotheses returned per line (1 <= n_best <= beam)
  double max_len_ratio = 1.5;  ///< max output length = ceil(ratio * source tokens) + 10
  int64_t batch_size = 64;     ///< sentences per decoding batch (lines sorted by length)
  int64_t max_src_pieces = 0;  ///< longer sources are truncated to this many pieces; 0 = no limit
  bool capture_attention = false;  ///< fill Translation::attention for the best hypothesis
  /// With capture_attention: also the encoder and decoder self-attention of the best hypothesis
  /// (AttentionRecord::encoder_self / decoder_self, where the model has them), from one forced
  /// pass over the source and that hypothesis after the search.
  bool self_attention = false;
  /// Ancestral sampling (decode/search.h sample_search) instead of greedy or beam search; needs
  /// n_best 1 and ignores beam.
  bool sample = false;
  /// temperature, top-k, top-p, seed (with `sample`). Each decoding batch draws from its own
  /// stream, derived from the seed and the batch's place in the input (first_index, batch number).
  SamplingOptions sampling;
};

/// The options a run's config gives (decoding.*, data.max_length as max_src_pieces).
TranslateOptions translate_options_from(const Config& cfg);

/// The search options (decode/search.h) of one decoding batch under `o`: strategy (beam, or
/// sampling with `o.sample`), K, alpha and the penalty's form, n-best, the maximum-length ratio,
/// attention capture and the sampling settings with `o.sampling.seed` unchanged (Translator moves
/// the seed per batch). Throws nothing; search() checks the values.
SearchOptions search_options_from(const TranslateOptions& o);

/// One output hypothesis.
struct TranslationHypothesis {
  std::string text;                 ///< detokenised (SentencePiece decode)
  double score = 0.0;               ///< sum of natural-log token probabilities, EOS included
  double normalized_score = 0.0;    ///< score / the length penalty (TranslateOptions)
  std::vector<int64_t> ids;         ///< output ids; ends with kEosId when the search finished it
  std::vector<std::string> pieces;  ///< the pieces of `ids` ("</s>" for the EOS)
};

/// The result for one input line.
struct Translation {
  /// n-best hypotheses, best first (by normalized_score). An empty or blank input line gives
  /// exactly one hypothesis with empty text, no ids and score 0 (the model is not run).
  std::vector<TranslationHypothesis> hypotheses;
  bool truncated = false;  ///< the source had more than max_src_pieces pieces and was cut
  int64_t src_pieces = 0;  ///< source pieces before truncation (EOS not counted)
  /// Attention of hypotheses[0] (when capture_attention): src tokens = the source pieces as fed
  /// to the encoder plus "</s>", tgt tokens = hypotheses[0].pieces, words and word maps from
  /// the SentencePiece word-boundary marker, subword matrices [layers][heads][tgt][src] and the
  /// word level (fill_word_level). For an empty line: no tokens, no words, empty matrices.
  align::AttentionRecord attention;
};

/// Translates lines with a loaded model. Not thread-safe (one model, one device).
class Translator {
 public:
  /// Throws std::invalid_argument on bad options (beam < 1, n_best outside [1, beam],
  /// alpha < 0, max_len_ratio < 0, batch_size < 1, bad sampling options).
  Translator(const LoadedModel& model, TranslateOptions options);

  /// Translates `lines` (raw text, one sentence each) in batches of options.batch_size sorted by
  /// source length, and returns one Translation per line in input order. `first_index` is the
  /// sentence number given to the first line's attention record (AttentionRecord::index).
  std::vector<Translation> translate(const std::vector<std::string>& lines,
                                     int64_t first_index = 0) const;

  /// Same for one line.
  Translation translate(const std::string& line, int64_t index = 0) const;

  const TranslateOptions& options() const { return options_; }

 private:
  const LoadedModel& m_;
  TranslateOptions options_;
};

/// One side of a sentence pair as fed to the model, with its word structure.
struct EncodedSide {
  std::vector<int64_t> ids;         ///< the ids fed to the model, kEosId last (when present)
  std::vector<std::string> tokens;  ///< one piece per id ("</s>" for kEosId)
  std::vector<int> word_of_token;   ///< word index per token; -1 for specials (EOS, BOS, pad)
  std::vector<std::string> words;   ///< the words
};

/// Encodes one line for forced alignment and adds kEosId. Raw text (tokenized = false): the
/// whole line is encoded and words are read off the SentencePiece word-boundary marker
/// (align::word_index_of_pieces / words_of_pieces). Pre-tokenised text (tokenized = true): the
/// line is split at spaces/tabs into words and each word is encoded on its own, so token t
/// belongs to word word_of_token[t] exactly, whatever SentencePiece does inside a word; a word
/// that encodes to no pieces (e.g. a lone control character) keeps its index and gets none.
/// A word of closing punctuation only (. , ; : ! ? ) ] } %) after the first word is encoded as
/// raw text has it, glued to the word before: the bare word-boundary piece "▁" that
/// SentencePiece would put in front of it on its own is dropped (a model trained on raw text
/// sees "family" "." for "family.", never "family" "▁" ".").
/// An empty or blank line gives no ids at all (not even EOS). Throws DataError from SentencePiece.
EncodedSide encode_side(const SpmModel& spm, const std::string& line, bool tokenized);

/// Options of forced alignment.
struct AlignOptions {
  bool tokenized = false;         ///< input is space-separated words (see encode_side)
  std::string layer = "mean";     ///< decoder layer for the hard alignment: index (negative
                                  ///< counts from the end) or "mean" over all layers
  std::string head = "mean";      ///< head index or "mean" over heads
  std::string method = "argmax";  ///< align::parse_hard_alignment: argmax, argmax-null, threshold
  double threshold = 0.3;         ///< method threshold: link every word pair with weight >= T
  int64_t batch_size = 64;        ///< sentence pairs per forward pass
  /// shift-att (Chen et al. 2020, "Accurate Word Alignment Induction from Neural Machine
  /// Translation", EMNLP, §3.1): target token y_t is aligned with the attention row of the step
  /// whose decoder *input* is y_t (the step that predicts y_{t+1}) instead of the step that
  /// predicts y_t. The subword matrices in the record stay unshifted; the word-level matrices and
  /// the hard alignment use the shifted rows (record.shift = true).
  bool shift = false;
  /// Also the encoder and decoder self-attention (AttentionRecord::encoder_self / decoder_self)
  /// where the model has them (Transformer parts; an RNN part has none and its field stays out).
  bool self_attention = false;
  /// A model trained with training.guided_alignment.full_context: its supervised head is read
  /// from the pass that sees the whole target (forced_decode's full_context).
  std::optional<GuidedHead> guided_full_context;
  /// false: skip the output layer (AlignResult::score stays 0); `tinynmt align` needs no scores.
  bool scores = true;
};

/// One aligned pair.
struct AlignResult {
  /// Soft alignment: every layer and head at subword level (EOS row and column included) and at
  /// word level (EOS/BOS excluded); `alignment` holds the Pharaoh line of `links`.
  align::AttentionRecord record;
  align::Alignment links;  ///< hard word alignment (source word, target word), 0-based
  double score = 0.0;      ///< log P(target | source) under teacher forcing (nats)
};

/// Forced (teacher-forced) decoding of pairs already encoded (src.ids and tgt.ids both end with
/// kEosId, or are both empty), batched by options.batch_size in length order. The hard
/// alignment comes from the word-level matrix of the selected layer/head (mean of the selected
/// subword matrices, aggregated to words: rows averaged over a target word's pieces, columns
/// summed over a source word's pieces, EOS/BOS dropped); argmax links each target word to its
/// best source word, threshold links every pair >= options.threshold. A pair with an empty side
/// gives an empty record and no links. Records are numbered first_index, first_index + 1, ...
/// Throws std::invalid_argument on size mismatches or a bad layer/head/method.
std::vector<AlignResult> force_align_encoded(const LoadedModel& model,
                                             const std::vector<EncodedSide>& src,
                                             const std::vector<EncodedSide>& tgt,
                                             const AlignOptions& options, int64_t first_index = 0);

/// Encodes src/tgt lines with the run's tokenizer (encode_side) and aligns them
/// (force_align_encoded). Throws std::invalid_argument when the line counts differ.
std::vector<AlignResult> force_align(const LoadedModel& model, const std::vector<std::string>& src,
                                     const std::vector<std::string>& tgt,
                                     const AlignOptions& options, int64_t first_index = 0);

}  // namespace tinynmt::decode
