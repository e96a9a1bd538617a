// Alignment layer: an attention trained to explain each target word by source words, on top of a
// trained and frozen encoder-decoder (Zenkel, Wuebker & DeNero 2019, "Adding Interpretable
// Attention to Neural Translation Models Improves Word Alignment", §3).
//
// The cross-attention of a Transformer need not point at the source word being translated: it
// may gather context from neighbouring words or look ahead (an article's step attending to the
// noun after it). The alignment layer removes that freedom. Its context is a weighted sum of the
// source *word embeddings* (no positions, no encoder context), and that context alone must
// predict the target word y_t through the model's own output layer. The weights that minimise
// that loss put their mass on the source words that translate y_t, and are read as alignments.
#pragma once

#include <torch/torch.h>

#include "models/extra_attention.h"
#include "models/seq2seq.h"

namespace tinynmt {

struct AlignmentLayerOptions {
  int64_t query_dim = 0;   ///< decoder feature size (what the output layer reads)
  int64_t key_dim = 0;     ///< encoder state size
  int64_t value_dim = 0;   ///< source word-embedding size
  int64_t output_dim = 0;  ///< the output layer's input size
  int64_t hidden_dim = 0;  ///< size of the query/key space
  int64_t value_ff = 0;    ///< hidden size of the value network (0 = one linear map)
};

struct AlignmentLayerOutput {
  torch::Tensor context;  ///< [batch, tgt_len, output_dim] Σ_j a_tj · W_v e_j
  torch::Tensor
      weights;  ///< [batch, tgt_len, src_len] a_tj; each row sums to 1 over real positions
};

/// One attention head (Zenkel et al. 2019, §3, eq. (3)-(5)), scaled dot-product scores:
///   q_t = W_q f_t, k_j = W_k h_j, a_tj = softmax_j(q_t·k_j / √hidden_dim) over real j,
///   c_t = Σ_j a_tj · v(e_j), v(e) = W_2 relu(W_1 e + b_1) (value_ff > 0) or W_v e,
/// with f_t the decoder's top features at step t (they predict y_t), h_j the encoder states and
/// e_j the source word embeddings. logits_t = output_layer(c_t) is trained by cross-entropy
/// against y_t (train/alignment_training.h) with the translation model frozen. Unlike the paper,
/// where the layer trains with the whole network, the embeddings here are frozen and shared with
/// the target side, so a single linear W_v cannot map a source word to its translation's output
/// vector; the value network (value_ff > 0) can, a learned lexical translation table.
/// Callers pass alignment_key_mask() as src_mask, without the source EOS: left in, it
/// becomes a catch-all position whose value predicts frequent words, and takes most of the mass.
/// Throws std::invalid_argument when a size in the options is < 1.
class AlignmentLayerImpl : public torch::nn::Module, public ExtraAttention {
 public:
  explicit AlignmentLayerImpl(const AlignmentLayerOptions& o);

  /// features [batch, tgt_len, query_dim], memory [batch, src_len, key_dim], src_words
  /// [batch, src_len, value_dim], src_mask [batch, src_len] bool (true = real token; every row
  /// needs one). Throws std::invalid_argument when the shapes disagree.
  AlignmentLayerOutput forward(const torch::Tensor& features, const torch::Tensor& memory,
                               const torch::Tensor& src_words, const torch::Tensor& src_mask);

  /// The layer on a model's teacher-forced pass fw = model.forward_features(src, tgt_in): the
  /// query features and encoder states come from fw, the values are
  /// model.source_word_embeddings(src) and the key mask is alignment_key_mask(src, fw.src_mask).
  /// Throws std::invalid_argument when the model gives no features, states or embeddings.
  AlignmentLayerOutput attend(Seq2SeqImpl& model, const torch::Tensor& src,
                              const Seq2SeqOutput& fw);

  /// ExtraAttention: attend(model, src, fw).weights, [batch, tgt_len, src_len].
  torch::Tensor extra_weights(Seq2SeqImpl& model, const torch::Tensor& src,
                              const Seq2SeqOutput& fw) override {
    return attend(model, src, fw).weights;
  }

  const AlignmentLayerOptions& options() const { return options_; }

 private:
  AlignmentLayerOptions options_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, value_in_{nullptr};
};
TORCH_MODULE(AlignmentLayer);

/// The key mask an alignment layer uses: src_mask [batch, src_len] without the source EOS
/// (src == kEosId); a row with no other real position keeps its EOS.
torch::Tensor alignment_key_mask(const torch::Tensor& src, const torch::Tensor& src_mask);

}  // namespace tinynmt
