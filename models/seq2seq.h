// Seq2Seq: the model interface that training, decoding and alignment use.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/affine.h"
#include "models/attention/attention.h"
#include "models/int8_linear.h"
#include "models/model_config.h"

namespace tinynmt {

/// Encoder result for one source batch.
struct EncoderOutput {
  torch::Tensor states;    ///< [batch, src_len, enc_dim] top-layer encoder states
  torch::Tensor src_mask;  ///< [batch, src_len] bool, true = real token
  torch::Tensor
      final;  ///< RNN: [batch, layers*directions, hidden] final states (h); else undefined
  torch::Tensor final_c;  ///< RNN LSTM: cell states like `final`; else undefined
  /// Transformer encoder asked for it (EncoderImpl::encode_with_self_attention): the
  /// self-attention weights [batch, layers, heads, src_len, src_len]; else undefined.
  torch::Tensor self_attention{};
};

/// A key/value cache that grows by one position each decoding step (Transformer
/// self-attention), one per beam row: keys and values [rows, heads, capacity, d_k], the first
/// `length` positions valid. Appending writes in place and doubles the capacity when it is full;
/// selecting rows copies only the valid positions, into a buffer of the same capacity. A step
/// thus copies the cache once (the beam reorder) where concatenating the step's keys and then
/// reordering the result copied it twice. An implementation choice, not from a paper.
struct GrowingCache {
  torch::Tensor keys, values;  ///< [rows, heads, capacity, d_k]; undefined while empty
  int64_t length = 0;          ///< valid positions

  bool empty() const { return length == 0; }
  /// Views of the valid positions: keys and values [rows, heads, length, d_k].
  AttentionCache valid() const;
  /// Appends step.keys and step.values ([rows, heads, n, d_k], the same rows, heads and d_k as
  /// the cache). Throws std::invalid_argument on other shapes.
  void append(const AttentionCache& step);
  /// Keeps rows `index` ([n] int64, on the cache's device), in that order. Throws
  /// std::out_of_range on an index outside [0, rows).
  void select(const torch::Tensor& index);
};

/// Explicit, model-owned decoder state for incremental decoding, in two parts. Every tensor has
/// the batch (or batch*beam) rows as dim 0.
///  - `rows` and `growing`: what each row carries on its own (recurrent states; the Transformer's
///    self-attention keys and values of the target prefix, in GrowingCache). Beam search
///    reorders them at every step.
///  - `constants` and `caches`: per-sentence constants, identical in every row of one sentence
///    (source mask, cross-attention keys/values projected once per batch, with the packed K|V
///    buffer they are views of). Beam search reorders them only when sentences drop or the batch
///    expands into beams, not at every step (fairseq skips reordering static encoder-decoder
///    keys the same way).
/// A model that keeps everything in `rows` stays correct, only slower.
struct DecoderState {
  std::map<std::string, torch::Tensor> rows;       ///< per-row tensors, [rows, ...]
  std::map<std::string, torch::Tensor> constants;  ///< per-sentence tensors, [rows, ...]
  std::vector<AttentionCache> caches;  ///< per-sentence cross-attention caches (one per layer)
  std::vector<GrowingCache> growing;   ///< per-row self-attention caches (one per layer)
  int64_t step = 0;                    ///< number of target tokens consumed so far

  /// Keeps rows `index` ([n] int64, on the state's device) of every part (growing caches too), in
  /// that order: dropping finished sentences, expanding a batch into beams. index_select(0, index)
  /// on every tensor; a cache whose keys and values are views of its packed buffer keeps them so
  /// (the buffer is selected once and the views are rebuilt on it, same values).
  void select(const torch::Tensor& index);

  /// Beam reordering: `row_index` ([n] int64) selects the rows of `rows` and `growing`;
  /// `sentence_index` ([n] int64) selects the rows of `constants` and `caches`, or, when
  /// undefined, they are left as they are (the layout of sentences and beams did not change).
  void reorder(const torch::Tensor& row_index, const torch::Tensor& sentence_index);
};

/// Rows `index` ([n] int64) of every tensor of `cache` (index_select(0, index)). When keys and
/// values are views of a contiguous packed buffer, the buffer is selected and they are rebuilt
/// as the same views of the result, so the packed path stays usable; otherwise each defined
/// tensor is selected on its own.
AttentionCache select_cache_rows(const AttentionCache& cache, const torch::Tensor& index);

/// The cross-attention head that guided alignment supervises (Garg et al. 2019, "Jointly
/// Learning to Align and Translate with Transformer Models", §3 and §4.2).
struct GuidedHead {
  int64_t layer = 0;          ///< decoder layer, 0-based
  int64_t head = 0;           ///< head of that layer's multihead cross-attention
  bool full_context = false;  ///< §4.2: recompute layers 0..layer without the causal mask
};

/// Teacher-forced output.
struct Seq2SeqOutput {
  torch::Tensor logits;     ///< [batch, tgt_len, tgt_vocab] unnormalised scores
  torch::Tensor attention;  ///< [batch, layers, heads, tgt_len, src_len] cross-attention weights
  torch::Tensor features;   ///< forward_features() only: [batch, tgt_len, D], see output_layer()
  // forward_features() only, for an alignment layer (models/alignment_layer.h); may be undefined:
  torch::Tensor memory;    ///< [batch, src_len, enc_dim] top encoder states
  torch::Tensor src_mask;  ///< [batch, src_len] bool, true = real token
  // forward_features_with_self_attention() only; undefined for a part without self-attention
  // (an RNN encoder or decoder). Weights before dropout; padded rows and columns included.
  torch::Tensor encoder_self_attention{};  ///< [batch, enc_layers, enc_heads, src_len, src_len]
  /// [batch, dec_layers, dec_heads, tgt_len, tgt_len], causal: row t is 0 beyond column t
  torch::Tensor decoder_self_attention{};
  /// forward_features_guided() only: log-weights of the GuidedHead, [batch, tgt_len, src_len],
  /// differentiable, -inf at padded source positions. Row t is the step predicting tgt_out[t].
  torch::Tensor guided_log_attention{};
};

/// The final affine layer of a model: logits = features·weightᵀ + bias.
struct OutputLayer {
  torch::Tensor weight;  ///< [tgt_vocab, D]
  torch::Tensor bias;    ///< [tgt_vocab], or undefined
  /// features [..., D] -> logits [..., tgt_vocab].
  torch::Tensor logits(const torch::Tensor& features) const {
    return affine(features, weight, bias);
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
  /// forward_features() that also returns the self-attention weights of every Transformer
  /// encoder and decoder layer and head (Vaswani et al. 2017 §3.2.3) in encoder_self_attention
  /// and decoder_self_attention; the other fields are forward_features()'s, bit for bit. Only
  /// this call keeps the weights. The default, for models without self-attention, returns
  /// forward_features().
  virtual Seq2SeqOutput forward_features_with_self_attention(const torch::Tensor& src,
                                                             const torch::Tensor& tgt_in) {
    return forward_features(src, tgt_in);
  }
  /// forward_features() plus guided_log_attention, the log-weights of one cross-attention head
  /// (GuidedHead), computed with differentiable ops; with full_context from a second pass of
  /// layers 0..layer whose self-attention sees the whole target (padding masked). The other
  /// fields are forward_features()'s. Throws std::invalid_argument for models without a
  /// Transformer decoder with multihead cross-attention, or a layer/head out of range.
  virtual Seq2SeqOutput forward_features_guided(const torch::Tensor& src,
                                                const torch::Tensor& tgt_in, const GuidedHead& g) {
    (void)src, (void)tgt_in, (void)g;
    throw std::invalid_argument(
        "guided alignment needs a Transformer decoder with multihead cross-attention");
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

  /// Inference with int8 weights from now on (dynamic quantisation, models/int8_linear.h): the
  /// output layer and the decoder's linear layers where the decoder supports it (Transformer
  /// decoders; recurrent decoders keep float32), each only if it has at least min_weights
  /// weights (smaller products are faster in float32; kInt8MinWeights). No gradient flows
  /// through the int8 products; the float32 parameters stay as they are (checkpoints, attention
  /// read-outs). Returns a one-line description of what was quantised. Throws
  /// std::runtime_error if LibTorch has no quantized engine, std::invalid_argument for a model
  /// not on the CPU or without an output layer (the default).
  virtual std::string quantize_int8(int64_t min_weights = kInt8MinWeights) {
    (void)min_weights;
    throw std::invalid_argument("int8 quantisation is not available for this model");
  }

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
