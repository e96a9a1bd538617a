// Greedy search, batched beam search and forced (teacher-forced) decoding over the Seq2Seq
// interface (models/seq2seq.h), with capture of the cross-attention of every output hypothesis.
//
// All functions run under torch::NoGradGuard and leave the module's train/eval mode alone: the
// caller puts the model in eval mode. Computation happens on src.device(); the returned
// attention tensors are float32 on the CPU (they are exported, not computed with).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "models/alignment_layer.h"
#include "models/seq2seq.h"

namespace tinynmt::decode {

/// DecoderState keys that start with this prefix hold per-sentence constants: rows that belong
/// to the same source sentence are identical (encoder states, source mask, cross-attention keys
/// and values projected once per batch). beam_search reorders them only when sentences are
/// dropped or the batch is expanded into beams, not at every step (fairseq skips reordering
/// static encoder-decoder keys the same way). Every other key is reordered at every step.
/// A model that does not use the prefix stays correct, only slower.
inline constexpr char kStaticStatePrefix[] = "static:";

/// One decoded output.
struct Hypothesis {
  /// Target ids without BOS; ends with kEosId if the hypothesis finished, and has exactly
  /// max_len ids without EOS if it was cut at the maximum length.
  std::vector<int64_t> tokens;
  /// Sum of the natural-log probabilities of `tokens` (nats, <= 0).
  double score = 0.0;
  /// score / lp(|tokens|) with the GNMT length penalty (see length_penalty()); equals `score`
  /// when alpha = 0.
  double normalized_score = 0.0;
  /// [layers, heads, tgt_len, src_len] float32 CPU cross-attention, tgt_len = tokens.size()
  /// (row t is the attention of the step that produced tokens[t], the EOS step included),
  /// src_len = this sentence's real (unpadded) source length. Undefined unless attention
  /// capture was requested.
  torch::Tensor attention;
};

/// Options of beam_search().
struct BeamOptions {
  int64_t beam = 5;            ///< K, beams per sentence (>= 1)
  double alpha = 0.6;          ///< GNMT length-penalty exponent (>= 0; 0 = no normalisation)
  int64_t n_best = 1;          ///< hypotheses returned per sentence (1 <= n_best <= beam)
  double max_len_ratio = 1.5;  ///< max output length = ceil(ratio * src_len) + max_len_extra
  int64_t max_len_extra = 10;
  /// Per-sentence maximum output lengths (ids, EOS included). If non-empty it overrides the
  /// ratio rule and must have one entry >= 1 per sentence.
  std::vector<int64_t> max_lens;
  bool capture_attention = false;  ///< fill Hypothesis::attention
};

/// Result of forced_decode() for one sentence.
struct ForcedResult {
  /// [layers, heads, tgt_len, src_len] float32 CPU, tgt_len = number of non-pad ids of this
  /// sentence's tgt_out, src_len = its real source length.
  torch::Tensor attention;
  double score = 0.0;                    ///< sum of log P(tgt_out[t] | ...) over real positions
  std::vector<double> token_log_probs;  ///< log P of each real tgt_out position
};

/// Both searches never output kPadId or kBosId (their log-probs are set to -inf; the others are
/// not renormalised, so scores stay the model's log-probs). They overwrite those two columns of
/// the StepOutput::log_probs returned by the model, in place.

/// GNMT length penalty lp(Y) = ((5 + |Y|) / 6)^alpha (Wu et al. 2016, eq. 14). |Y| counts the
/// output ids including EOS. Throws std::invalid_argument if alpha < 0 or length < 0.
double length_penalty(int64_t length, double alpha);

/// Real source lengths from src_mask [batch, src_len] (bool or integer, nonzero = real).
std::vector<int64_t> source_lengths(const torch::Tensor& src_mask);

/// Per-sentence maximum output lengths ceil(ratio * src_len) + extra. Throws
/// std::invalid_argument if ratio < 0 or the result would be < 1.
std::vector<int64_t> max_target_lengths(const std::vector<int64_t>& src_lengths, double ratio,
                                        int64_t extra = 10);

/// Batched greedy search: at each step every live sentence takes its arg-max token; sentences
/// that produced EOS or reached their max length are dropped from the batch
/// (DecoderState::select), so the remaining ones run on fewer rows.
///
/// src [batch, src_len] int64 ids, src_mask [batch, src_len] bool (true = real token), on the
/// device the model lives on. max_lens: one maximum output length (>= 1, EOS included) per
/// sentence. alpha only affects Hypothesis::normalized_score. Sentences of source length 0 are
/// not run through the model and give an empty hypothesis (no tokens, score 0, attention
/// [layers, heads, 0, 0]). Returns one Hypothesis per sentence, in input order.
/// Throws std::invalid_argument on shape mismatches or bad max lengths.
std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens,
                                      bool capture_attention = false, double alpha = 0.0);

/// Same, with one maximum output length for every sentence.
std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask, int64_t max_len,
                                      bool capture_attention = false, double alpha = 0.0);

/// Batched beam search (Sutskever et al. 2014 §3.2; length penalty and stopping rule after
/// Wu et al. 2016 §7). The batch runs as [live_sentences * K] rows. Each step finds the 2K best
/// of a sentence's K*V continuations with an exact two-stage top-k (2K per row, then 2K per
/// sentence), moves only those scores/ids to the host (one transfer per step), and:
///  - an EOS candidate among the first K becomes a finished hypothesis (set aside);
///  - the K best non-EOS candidates become the live beams; the state is reordered by their
///    origin beams (DecoderState::select), so each row keeps its own history;
///  - at a sentence's max length its K best candidates are all finished (without EOS unless
///    they chose EOS);
///  - a sentence stops at its max length, or once n_best hypotheses have finished and either
///    the step's best candidate chose EOS (no live beam scores higher; OpenNMT-py's rule), or
///    no live beam can still beat the n_best-th finished one (log-probs are <= 0, so a live
///    beam with score s can reach at most s / lp(max_len)). It does not stop because K
///    hypotheses have finished: beams that left the best path often finish first (a copy that
///    skips a piece ends a step sooner), and that rule dropped the best live beam;
///  - a stopped sentence's rows are dropped from the batch.
/// The state is reordered with index_select(0, ...) on every tensor (as DecoderState::select),
/// except kStaticStatePrefix tensors, see there.
/// Attention is captured through back-pointers: every step's [rows, layers, heads, src_len]
/// attention is kept and each output hypothesis gathers exactly the rows of its own ancestry.
/// With K = 1 the result equals greedy_search (tokens and score).
///
/// src, src_mask as for greedy_search. Returns, per sentence in input order, the n_best
/// hypotheses sorted by normalized_score (best first); fewer only if fewer finished. Empty
/// sources give one empty hypothesis. Throws std::invalid_argument on bad options or shapes.
std::vector<std::vector<Hypothesis>> beam_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask,
                                                 const BeamOptions& options);

/// Forced (teacher-forced) decoding of given pairs with one forward() call.
/// src [batch, src_len], src_mask [batch, src_len]; tgt_in [batch, tgt_len] (BOS y1 .. y_{n-1})
/// and tgt_out [batch, tgt_len] (y1 .. y_n), both padded with kPadId. Returns per sentence the
/// unpadded cross-attention and the log-probability of tgt_out. With an `alignment_layer`
/// (models/alignment_layer.h, built for this model) its weights are appended as one more layer,
/// the last ([L + 1, H, T, S]; its single head repeated H times). Throws std::invalid_argument
/// on shape mismatches.
std::vector<ForcedResult> forced_decode(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask,
                                        const torch::Tensor& tgt_in, const torch::Tensor& tgt_out,
                                        AlignmentLayerImpl* alignment_layer = nullptr);

/// Builds teacher-forcing inputs from target id sequences: tgt_in = [BOS, y1 .. y_{n-1}],
/// tgt_out = [y1 .. y_n], each [batch, max n] int64 padded with kPadId, on `device`. The
/// sequences are used as given (append kEosId yourself if they should end with it). A sequence
/// must be non-empty (throws std::invalid_argument).
std::pair<torch::Tensor, torch::Tensor> teacher_forcing_batch(
    const std::vector<std::vector<int64_t>>& targets, const torch::Device& device);

}  // namespace tinynmt::decode
