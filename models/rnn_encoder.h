// Recurrent encoder (GRU or LSTM, stacked, optionally bidirectional as in Bahdanau et al. 2015
// §3.2) over packed sequences, so padding never reaches the recurrent state.
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
  int64_t output_dim() const override { return dirs_ * cfg_.hidden_size; }

 private:
  EncoderConfig cfg_;
  int64_t dirs_;
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  Dropout dropout_{nullptr};
};

}  // namespace tinynmt
