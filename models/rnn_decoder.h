// Attentional recurrent decoder (GRU or LSTM, stacked) with a bridge from the encoder's final
// state and two attention placements:
//   bahdanau (Bahdanau et al. 2015 §3.1, appendix A.2.2): c_i = attend(s_{i-1}, h);
//            s_i = RNN(s_{i-1}, [E y_{i-1}; c_i]); readout o_i = tanh(W_o [s_i; c_i; E y_{i-1}]).
//   luong    (Luong et al. 2015 §3, eq. (5), §3.3): h_t = RNN(h_{t-1}, [E y_{t-1}; h~_{t-1}]);
//            c_t = attend(h_t, h); h~_t = tanh(W_c [c_t; h_t]); input feeding of h~ optional.
// Any registered attention (models/attention/registry.h) plugs in.
#pragma once

#include <memory>
#include <vector>

#include "models/attention/attention.h"
#include "models/dropout.h"
#include "models/model_config.h"
#include "models/network.h"

namespace tinynmt {

/// Inputs: emb [batch, tgt_len, input_dim]; encoder states [batch, src_len, enc_dim].
/// Features [batch, tgt_len, hidden] (o_i or h~_t, after dropout); attention
/// [batch, 1, heads, tgt_len, src_len]. The bridge is s_0 = tanh(W_b f) per layer, f = the
/// encoder's top-layer final state (all directions), or the masked mean of the encoder states when
/// the encoder has no final state (Transformer encoder); LSTM cells are bridged the same way.
/// The first layer's input projection of the embeddings is computed for all steps at once.
/// State tensors (batch first): h [batch, layers, hidden], c (LSTM), feed [batch, hidden] (luong +
/// input feeding), keys/values (attention cache), mask [batch, 1, src_len].
/// Throws std::invalid_argument for an unknown rnn_type/placement/attention or bad sizes.
class RnnDecoderImpl : public DecoderImpl {
 public:
  RnnDecoderImpl(const DecoderConfig& cfg, int64_t input_dim, int64_t enc_dim);
  DecoderOutput forward(const torch::Tensor& emb, const EncoderOutput& enc) override;
  DecoderState init_state(const EncoderOutput& enc) override;
  DecoderOutput step(const torch::Tensor& emb, DecoderState& state) override;
  int64_t output_dim() const override { return cfg_.hidden_size; }
  int64_t attention_layers() const override { return 1; }
  int64_t attention_heads() const override { return attention_->heads(); }
  bool bahdanau_placement() const { return bahdanau_; }

 private:
  struct Recurrent {
    std::vector<torch::Tensor> h, c;  // per layer [batch, hidden]
    torch::Tensor feed;               // [batch, hidden] (luong + input feeding)
  };
  /// One step given the precomputed embedding projection gx_emb [batch, gates*hidden] and the
  /// embedding emb_t [batch, input_dim]. Returns features [batch, hidden], weights [b, heads, src].
  std::pair<torch::Tensor, torch::Tensor> run_step(const torch::Tensor& gx_emb,
                                                   const torch::Tensor& emb_t, Recurrent& r,
                                                   const AttentionCache& cache,
                                                   const torch::Tensor& mask, int64_t t);
  /// Advances every layer given the first layer's input gates gx0 [batch, gates*hidden].
  void advance(torch::Tensor gx0, Recurrent& r);
  torch::Tensor cell(const torch::Tensor& gx, int64_t layer, Recurrent& r);
  void bridge(const EncoderOutput& enc, Recurrent& r);

  DecoderConfig cfg_;
  bool lstm_, bahdanau_, feeding_;
  int64_t gates_;
  std::shared_ptr<AttentionImpl> attention_;
  std::vector<torch::Tensor> w_ih_, w_hh_, b_ih_,
      b_hh_;               // per layer; w_ih_[0] is the embedding part
  torch::Tensor w_extra_;  // [gates*hidden, ctx or hidden] first-layer input from context / h~
  torch::nn::Linear bridge_h_{nullptr}, bridge_c_{nullptr};
  torch::nn::Linear readout_{nullptr};  // bahdanau: W_o; luong: W_c
  Dropout dropout_{nullptr};
};

}  // namespace tinynmt
