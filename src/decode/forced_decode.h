// Forced (teacher-forced) decoding of given sentence pairs: the model's cross-attention and the
// log-probability of each target, for alignment and scoring. Runs under torch::NoGradGuard and
// leaves the module's train/eval mode alone; returned tensors are float32 on the CPU.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/extra_attention.h"
#include "models/seq2seq.h"

namespace tinynmt::decode {

/// Result of forced_decode() for one sentence.
struct ForcedResult {
  /// [layers, heads, tgt_len, src_len] float32 CPU, tgt_len = number of non-pad ids of this
  /// sentence's tgt_out, src_len = its real source length.
  torch::Tensor attention;
  double score = 0.0;                   ///< sum of log P(tgt_out[t] | ...) over real positions
  std::vector<double> token_log_probs;  ///< log P of each real tgt_out position
  /// With self_attention, where the model's encoder / decoder has it (a Transformer; undefined
  /// for an RNN part, and for a sentence the model did not run): [enc_layers, heads, src_len,
  /// src_len] and [dec_layers, heads, tgt_len, tgt_len] (causal), float32 CPU, unpadded.
  torch::Tensor encoder_self_attention, decoder_self_attention;
};

/// What forced_decode() computes beyond the cross-attention of the model's own layers.
struct ForcedDecodeOptions {
  /// An extra attention (models/extra_attention.h, e.g. an alignment layer built for this
  /// model), appended as one more layer; nullptr = none.
  ExtraAttention* extra = nullptr;
  /// Also the encoder and decoder self-attention (ForcedResult::*_self_attention).
  bool self_attention = false;
  /// guided alignment's full-context head (Garg et al. 2019 §4.2) to recompute; nullptr = none.
  const GuidedHead* full_context = nullptr;
  /// The output layer and log-probs (score, token_log_probs); false skips them.
  bool scores = true;
};

/// Forced (teacher-forced) decoding of given pairs with one forward() call.
/// src [batch, src_len], src_mask [batch, src_len]; tgt_in [batch, tgt_len] (BOS y1 .. y_{n-1})
/// and tgt_out [batch, tgt_len] (y1 .. y_n), both padded with kPadId. Returns per sentence the
/// unpadded cross-attention and the log-probability of tgt_out. Sentences with an empty source
/// get score -inf and zero attention. With options.extra the pass stops at
/// model.forward_features(), its weights are appended as one more layer, the last ([L + 1, H, T,
/// S]; its single head repeated H times), and the logits come from model.output_layer(). With
/// self_attention the pass is model.forward_features_with_self_attention() (logits from
/// model.output_layer() when it leaves them undefined; the same values as forward()) and the
/// results carry the encoder and decoder self-attention. With full_context (a model trained with
/// guided alignment's full context, Garg et al. 2019 §4.2), that layer's head in the attention is
/// replaced by the weights of model.forward_features_guided(full_context), which sees the whole
/// target. With scores false the output layer is skipped (about a third of the pass for a d 256
/// model with 8k pieces): score stays 0 and token_log_probs empty. Throws std::invalid_argument on
/// shape mismatches.
std::vector<ForcedResult> forced_decode(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask, const torch::Tensor& tgt_in,
                                        const torch::Tensor& tgt_out,
                                        const ForcedDecodeOptions& options = {});

/// Builds teacher-forcing inputs from target id sequences: tgt_in = [BOS, y1 .. y_{n-1}],
/// tgt_out = [y1 .. y_n], each [batch, max n] int64 padded with kPadId, on `device`. The
/// sequences are used as given (append kEosId yourself if they should end with it). A sequence
/// must be non-empty (throws std::invalid_argument).
std::pair<torch::Tensor, torch::Tensor> teacher_forcing_batch(
    const std::vector<std::vector<int64_t>>& targets, const torch::Device& device);

}  // namespace tinynmt::decode
