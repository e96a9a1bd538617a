// Seq2Seq: the model interface that training, decoding and alignment use.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "models/model_config.h"

namespace tinynmt {

/// Encoder result for one source batch.
struct EncoderOutput {
  torch::Tensor states;    ///< [batch, src_len, enc_dim] top-layer encoder states
  torch::Tensor src_mask;  ///< [batch, src_len] bool, true = real token
  torch::Tensor final;     ///< RNN: [batch, layers*directions, hidden] final states (h); else undefined
  torch::Tensor final_c;   ///< RNN LSTM: cell states like `final`; else undefined
};

/// Explicit, model-owned decoder state for incremental decoding. Every tensor has the batch (or
/// batch*beam) as dim 0, so beam search reorders or shrinks it generically with select().
/// Keys starting with "static:" hold per-sentence constants (encoder states, source mask,
/// projected cross-attention keys/values): beam search reorders them only when sentences drop or
/// the batch expands into beams, not at every step.
struct DecoderState {
  std::map<std::string, torch::Tensor> tensors;
  int64_t step = 0;  ///< number of target tokens consumed so far

  /// Keeps rows `index` ([n] int64) of every tensor, in that order (beam reordering, dropping
  /// finished hypotheses, expanding a batch into beams).
  void select(const torch::Tensor& index) {
    for (auto& kv : tensors)
      if (kv.second.defined()) kv.second = kv.second.index_select(0, index);
  }
  torch::Tensor& operator[](const std::string& k) { return tensors[k]; }
  bool has(const std::string& k) const {
    auto it = tensors.find(k);
    return it != tensors.end() && it->second.defined();
  }
};

/// Teacher-forced output.
struct Seq2SeqOutput {
  torch::Tensor logits;     ///< [batch, tgt_len, tgt_vocab] unnormalised scores
  torch::Tensor attention;  ///< [batch, layers, heads, tgt_len, src_len] cross-attention weights
  torch::Tensor features;   ///< forward_features() only: [batch, tgt_len, D], see output_layer()
  // forward_features() only, for an alignment layer (models/alignment_layer.h); may be undefined:
  torch::Tensor memory;     ///< [batch, src_len, enc_dim] top encoder states
  torch::Tensor src_mask;   ///< [batch, src_len] bool, true = real token
};

/// The final affine layer of a model: logits = features·weightᵀ + bias.
struct OutputLayer {
  torch::Tensor weight;  ///< [tgt_vocab, D]
  torch::Tensor bias;    ///< [tgt_vocab], or undefined
  /// features [..., D] -> logits [..., tgt_vocab].
  torch::Tensor logits(const torch::Tensor& features) const {
    return torch::nn::functional::linear(features, weight, bias);
  }
};

/// One incremental decoding step.
struct StepOutput {
  torch::Tensor log_probs;  ///< [batch, tgt_vocab] log-softmax of the next-token scores
  torch::Tensor attention;  ///< [batch, layers, heads, src_len] cross-attention of this step
};

/// Abstract encoder-decoder. Ids follow models/special_ids.h (pad 0, unk 1, bos 2, eos 3).
class Seq2SeqImpl : public torch::nn::Module {
 public:
  ~Seq2SeqImpl() override = default;

  /// src [batch, src_len] int64 ids, src_mask [batch, src_len] bool (true = real token).
  virtual EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) = 0;

  /// Teacher forcing. src [batch, src_len], tgt_in [batch, tgt_len] (BOS y1 ... y_{n-1}), padded
  /// with kPadId. The masks are derived from kPadId.
  virtual Seq2SeqOutput forward(const torch::Tensor& src, const torch::Tensor& tgt_in) = 0;

  /// Teacher forcing up to, not through, the output layer: `.features` [batch, tgt_len, D] with
  /// forward().logits == features·Wᵀ + b for (W, b) = output_layer(); `.logits` is left undefined
  /// so training can fuse the output layer with its loss (train/loss.h). The default, for models
  /// without a separable output layer (output_layer() undefined), returns forward().
  virtual Seq2SeqOutput forward_features(const torch::Tensor& src, const torch::Tensor& tgt_in) {
    return forward(src, tgt_in);
  }
  /// The output layer that forward_features() stops before; undefined tensors if there is none.
  virtual OutputLayer output_layer() { return {}; }
  /// src [batch, src_len] ids -> [batch, src_len, E] the source embedding table's rows (no
  /// scaling, no positions, no dropout); undefined if the model has no such table.
  virtual torch::Tensor source_word_embeddings(const torch::Tensor& src) {
    (void)src;
    return {};
  }

  /// State before the first decoding step (caches projected keys, bridges the encoder state).
  virtual DecoderState init_state(const EncoderOutput& enc) = 0;

  /// Consumes prev_tokens [batch] (kBosId at the first step) and advances `state` by one step.
  /// Gives the same log-probs as forward() at that position (within 1e-5, eval mode).
  virtual StepOutput decode_step(const torch::Tensor& prev_tokens, DecoderState& state) = 0;

  /// Shape of the attention returned: layers and heads per layer.
  virtual int64_t attention_layers() const = 0;
  virtual int64_t attention_heads() const = 0;
};

/// Builds the network described by `cfg`. Throws std::invalid_argument with a message naming the
/// config key on an impossible combination (e.g. luong-dot with different query/key sizes).
std::shared_ptr<Seq2SeqImpl> make_seq2seq(const ModelConfig& cfg, int64_t src_vocab,
                                          int64_t tgt_vocab);

/// Number of trainable parameters.
int64_t count_parameters(const torch::nn::Module& m);

}  // namespace tinynmt
