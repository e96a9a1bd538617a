// Pieces shared by the decoding strategies (greedy, beam, sampling) and forced decoding: batch
// preparation, banned ids, attention gathering. Internal to src/decode/.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "decode/search.h"
#include "models/seq2seq.h"

namespace tinynmt::decode::detail {

inline constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// Throws std::invalid_argument("decode: " + msg).
[[noreturn]] void fail(const std::string& msg);

/// The sentences of a batch that have a non-empty source, trimmed to their longest length.
struct Prepared {
  std::vector<int64_t> lengths;  ///< real source length of every input sentence
  std::vector<int64_t> run_ids;  ///< input indices of the sentences that run through the model
  torch::Tensor src;             ///< [run, max_real_len] int64
  torch::Tensor mask;            ///< [run, max_real_len] bool
};

/// Checks src [batch, src_len] and src_mask (same shape) and keeps the non-empty sentences.
/// `fn` names the caller in errors.
Prepared prepare(const torch::Tensor& src, const torch::Tensor& src_mask, const char* fn);

/// Checks one maximum length (>= 1) per sentence.
void check_max_lens(const std::vector<int64_t>& max_lens, int64_t batch, const char* fn);

/// Ids a decoder must never output: PAD (it would end the sequence for every consumer) and BOS.
torch::Tensor banned_ids(const torch::Device& device);  // [2] int64

/// [layers, heads, tgt_len, src_len] zeros: the attention of a hypothesis with no source or
/// target (layers < 0: the model's attention_layers()).
torch::Tensor empty_attention(Seq2SeqImpl& model, int64_t tgt_len, int64_t src_len = 0,
                              int64_t layers = -1);

/// Gathers rows of the per-step attention ([rows_t, layers, heads, src_len] per step, stacked
/// over steps) for every hypothesis at once and returns [layers, heads, len_h, src_len_h] each.
std::vector<torch::Tensor> gather_attention(const std::vector<torch::Tensor>& steps,
                                            const std::vector<std::vector<int64_t>>& rows,
                                            const std::vector<int64_t>& src_lens);

/// Chooses each row's next token from the step's log-probs [rows, V] (PAD and BOS at -inf):
/// returns {the model's log-prob of the chosen token [rows], the token [rows] int64}.
using TokenChooser =
    std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor& log_probs)>;

/// The batched one-token-per-step loop behind greedy_search and sample_search: every live
/// sentence takes the token `choose` gives; sentences that produced EOS or reached their max
/// length leave the batch (DecoderState::select). Validates the arguments like greedy_search.
std::vector<Hypothesis> stepwise_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask,
                                        const std::vector<int64_t>& max_lens,
                                        bool capture_attention, double alpha,
                                        LengthPenaltyForm form, const TokenChooser& choose,
                                        const char* fn);

}  // namespace tinynmt::decode::detail
