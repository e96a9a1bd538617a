// Recurrent encoder (GRU or LSTM, stacked, optionally bidirectional as in Bahdanau et al. 2015
// §3.2); padding never reaches the recurrent state. A GRU on the CPU runs its own loop over
// torch::nn::GRU's parameters (input projection hoisted out of the loop, the fused cell of
// models/gru_cell.h, padding masked instead of packed); LSTMs and other devices run LibTorch's
// module over packed sequences. Both give the same states.
#pragma once

#include "models/dropout.h"
#include "models/model_config.h"
#include "models/network.h"

namespace tinynmt {

/// encode(): emb [batch, src_len, input_dim] -> states [batch, src_len, dirs*hidden] (zeros at
/// padding), final [batch, layers*dirs, hidden] (h_n, layer-major like torch: index
/// layer*dirs + direction), final_c likewise for LSTM. Dropout on the input embeddings and
/// between layers. Throws std::invalid_argument for an unknown rnn_type.
class RnnEncoderImpl : public EncoderImpl {
 public:
  RnnEncoderImpl(const EncoderConfig& cfg, int64_t input_dim);
  EncoderOutput encode(const torch::Tensor& emb, const torch::Tensor& src_mask) override;
  /// encode() through LibTorch's GRU/LSTM module over packed sequences (what encode() runs for
  /// LSTMs and off the CPU; for a CPU GRU, the reference its own loop is tested against).
  EncoderOutput encode_packed(const torch::Tensor& emb, const torch::Tensor& src_mask);
  int64_t output_dim() const override { return dirs_ * cfg_.hidden_size; }

 private:
  /// GRU over right-padded x [batch, src_len, in] with masking: returns states [batch, src_len,
  /// dirs*hidden] (zeros at padding) and sets *final [batch, layers*dirs, hidden] (h_n).
  torch::Tensor encode_gru_masked(const torch::Tensor& x, const torch::Tensor& src_mask,
                                  torch::Tensor* final);

  EncoderConfig cfg_;
  int64_t dirs_;
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  Dropout dropout_{nullptr};
};

}  // namespace tinynmt
