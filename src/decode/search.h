// One search entry, search(), over the Seq2Seq interface (models/seq2seq.h), with three
// strategies behind it: greedy search (decode/greedy.cpp), batched beam search (decode/beam.cpp)
// and ancestral sampling (decode/sampling.cpp); each captures the cross-attention of every output
// hypothesis. Forced decoding of given targets is decode/forced_decode.h.
//
// All functions run under torch::NoGradGuard and leave the module's train/eval mode alone: the
// caller puts the model in eval mode. Computation happens on src.device(); the returned
// attention tensors are float32 on the CPU (they are exported, not computed with).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/seq2seq.h"

namespace tinynmt::decode {

/// One decoded output.
struct Hypothesis {
  /// Target ids without BOS; ends with kEosId if the hypothesis finished, and has exactly
  /// max_len ids without EOS if it was cut at the maximum length.
  std::vector<int64_t> tokens;
  /// Sum of the natural-log probabilities of `tokens` (nats, <= 0).
  double score = 0.0;
  /// score / lp(tokens) with the search's length penalty (see length_penalty()); equals
  /// `score` when alpha = 0.
  double normalized_score = 0.0;
  /// [layers, heads, tgt_len, src_len] float32 CPU cross-attention, tgt_len = tokens.size()
  /// (row t is the attention of the step that produced tokens[t], the EOS step included),
  /// src_len = this sentence's real (unpadded) source length. Undefined unless attention
  /// capture was requested.
  torch::Tensor attention;
};

/// How search() chooses the output tokens.
enum class SearchStrategy {
  kGreedy,  ///< greedy_search
  kBeam,    ///< beam_search; beam 1 with n_best 1 runs greedy_search (the same result, faster)
  kSample,  ///< sample_search
};

/// The length penalty lp(Y) that a hypothesis's score is divided by (length_penalty()).
enum class LengthPenaltyForm {
  kGnmt,     ///< ((5 + |Y|) / 6)^alpha, |Y| with EOS (Wu et al. 2016, eq. 14; JoeyNMT)
  kAverage,  ///< |Y|^alpha, |Y| without EOS (CTranslate2's length_penalty, OpenNMT-py "avg")
};

/// "gnmt" or "average" -> the form. Throws std::invalid_argument naming the accepted names.
LengthPenaltyForm parse_length_penalty_form(const std::string& name);

/// Options of ancestral sampling (sample_search).
struct SamplingOptions {
  double temperature = 1.0;  ///< > 0; the log-probs are divided by it before renormalising
  int64_t top_k = 0;         ///< keep the k most probable tokens (Fan et al. 2018); 0 = off
  double top_p = 1.0;        ///< nucleus (Holtzman et al. 2020), in (0, 1]; 1 = off
  uint64_t seed = 0;         ///< the same seed and input give the same output
};

/// Options of search() (and of beam_search, which reads all but `strategy` and `sampling`).
struct SearchOptions {
  SearchStrategy strategy = SearchStrategy::kBeam;
  int64_t beam = 5;    ///< K, beams per sentence (>= 1)
  double alpha = 0.6;  ///< length-penalty exponent (>= 0; 0 = no normalisation)
  LengthPenaltyForm length_penalty = LengthPenaltyForm::kGnmt;
  int64_t n_best = 1;          ///< hypotheses returned per sentence (1 <= n_best <= beam)
  double max_len_ratio = 1.5;  ///< max output length = ceil(ratio * src_len) + max_len_extra
  int64_t max_len_extra = 10;
  /// Per-sentence maximum output lengths (ids, EOS included). If non-empty it overrides the
  /// ratio rule and must have one entry >= 1 per sentence.
  std::vector<int64_t> max_lens;
  bool capture_attention = false;  ///< fill Hypothesis::attention
  SamplingOptions sampling;        ///< strategy kSample only
};

/// The searches never output kPadId or kBosId (their log-probs are set to -inf; the others are
/// not renormalised, so scores stay the model's log-probs). They overwrite those two columns of
/// the StepOutput::log_probs returned by the model, in place.

/// Decodes a batch: src [batch, src_len] int64 ids, src_mask [batch, src_len] bool (true = real
/// token), on the model's device. The maximum output lengths are options.max_lens, or else
/// max_target_lengths(source lengths, max_len_ratio, max_len_extra). Runs options.strategy:
/// kGreedy -> greedy_search (n_best must be 1); kBeam -> greedy_search when beam == 1 and
/// n_best == 1, else beam_search; kSample -> sample_search (n_best must be 1). Returns per
/// sentence, in input order, the n-best hypotheses best first (one for greedy and sampling).
/// Throws std::invalid_argument on bad options or shapes.
std::vector<std::vector<Hypothesis>> search(Seq2SeqImpl& model, const torch::Tensor& src,
                                            const torch::Tensor& src_mask,
                                            const SearchOptions& options);

/// Length penalty lp(Y) of a hypothesis of `length` output ids, the last of them EOS if
/// `ends_with_eos` (hypotheses cut at the maximum length have none):
///  - kGnmt: ((5 + |Y|) / 6)^alpha with |Y| = length, EOS counted (Wu et al. 2016, eq. 14);
///  - kAverage: max(1, |Y|)^alpha with |Y| the ids before EOS, as CTranslate2 divides a
///    hypothesis's score (its beam search's finalize_hypothesis_score; OpenNMT-py's "avg").
/// 1 when alpha = 0. Both grow with the length, which beam search's stopping bound relies on.
/// Throws std::invalid_argument if alpha < 0, length < 0, or ends_with_eos with length 0.
double length_penalty(int64_t length, double alpha,
                      LengthPenaltyForm form = LengthPenaltyForm::kGnmt, bool ends_with_eos = true);

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
/// sentence. alpha and form only affect Hypothesis::normalized_score. Sentences of source length 0
/// are not run through the model and give an empty hypothesis (no tokens, score 0, attention
/// [layers, heads, 0, 0]). Returns one Hypothesis per sentence, in input order.
/// Throws std::invalid_argument on shape mismatches or bad max lengths.
std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens,
                                      bool capture_attention = false, double alpha = 0.0,
                                      LengthPenaltyForm form = LengthPenaltyForm::kGnmt);

/// Same, with one maximum output length for every sentence.
std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask, int64_t max_len,
                                      bool capture_attention = false, double alpha = 0.0,
                                      LengthPenaltyForm form = LengthPenaltyForm::kGnmt);

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
/// The state reorders itself (DecoderState::reorder): its per-row part at every step, its
/// per-sentence constants only when sentences drop or the batch expands into beams.
/// Attention is captured through back-pointers: every step's [rows, layers, heads, src_len]
/// attention is kept and each output hypothesis gathers exactly the rows of its own ancestry.
/// With K = 1 the result equals greedy_search (tokens and score).
///
/// src, src_mask as for greedy_search. Returns, per sentence in input order, the n_best
/// hypotheses sorted by normalized_score (best first); fewer only if fewer finished. Empty
/// sources give one empty hypothesis. Throws std::invalid_argument on bad options or shapes.
std::vector<std::vector<Hypothesis>> beam_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask,
                                                 const SearchOptions& options);

/// Ancestral sampling, batched like greedy_search (finished sentences leave the batch): at each
/// step every live sentence draws its next token from sampling_log_probs(step log-probs).
/// Hypothesis::score sums the model's log-probs of the drawn tokens (not the modified ones), so
/// top_k = 1 gives greedy_search's tokens and scores. The draws come from one std::mt19937_64
/// seeded with options.seed per call: the same seed, input and batch give the same output.
/// Arguments and result as greedy_search. Throws std::invalid_argument on bad options.
std::vector<Hypothesis> sample_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens,
                                      const SamplingOptions& options,
                                      bool capture_attention = false, double alpha = 0.0,
                                      LengthPenaltyForm form = LengthPenaltyForm::kGnmt);

/// The distribution sample_search draws from: log_probs [rows, V] divided by the temperature and
/// renormalised; with top_k > 0 only the k most probable tokens kept (Fan et al. 2018, §5.4);
/// with top_p < 1 only the nucleus, the smallest set of most probable tokens whose probability
/// reaches top_p (Holtzman et al. 2020, §3.1); renormalised again. Returns [rows, V] log-probs,
/// -inf outside the kept set. Throws std::invalid_argument on temperature <= 0, top_k < 0 or
/// top_p outside (0, 1].
torch::Tensor sampling_log_probs(const torch::Tensor& log_probs, const SamplingOptions& options);

}  // namespace tinynmt::decode
