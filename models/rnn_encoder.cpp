#include "models/rnn_encoder.h"

#include <stdexcept>

namespace tinynmt {

RnnEncoderImpl::RnnEncoderImpl(const EncoderConfig& cfg, int64_t input_dim)
    : cfg_(cfg), dirs_(cfg.bidirectional ? 2 : 1) {
  namespace nn = torch::nn;
  const double inner_dropout = cfg_.layers > 1 ? cfg_.dropout : 0.0;
  if (cfg_.rnn_type == "gru") {
    gru_ = register_module("gru", nn::GRU(nn::GRUOptions(input_dim, cfg_.hidden_size)
                                              .num_layers(cfg_.layers)
                                              .bidirectional(cfg_.bidirectional)
                                              .batch_first(true)
                                              .dropout(inner_dropout)));
  } else if (cfg_.rnn_type == "lstm") {
    lstm_ = register_module("lstm", nn::LSTM(nn::LSTMOptions(input_dim, cfg_.hidden_size)
                                                 .num_layers(cfg_.layers)
                                                 .bidirectional(cfg_.bidirectional)
                                                 .batch_first(true)
                                                 .dropout(inner_dropout)));
  } else {
    throw std::invalid_argument("model.encoder.rnn_type: unknown '" + cfg_.rnn_type +
                                "' (choices: gru, lstm)");
  }
  dropout_ = register_module("dropout", Dropout(cfg_.dropout));
}

EncoderOutput RnnEncoderImpl::encode(const torch::Tensor& emb, const torch::Tensor& src_mask) {
  namespace rnn = torch::nn::utils::rnn;
  const int64_t src_len = emb.size(1);
  // pack_padded_sequence wants CPU int64 lengths >= 1.
  auto lengths = src_mask.sum(1).clamp_min(1).to(torch::kCPU, torch::kInt64);  // [batch]
  auto packed = rnn::pack_padded_sequence(dropout_(emb), lengths, /*batch_first=*/true,
                                          /*enforce_sorted=*/false);
  EncoderOutput out;
  auto unpack = [&](const rnn::PackedSequence& p) {
    return std::get<0>(rnn::pad_packed_sequence(p, /*batch_first=*/true, 0.0,
                                                src_len));  // [batch, src_len, dirs*hidden]
  };
  if (gru_) {
    auto r = gru_->forward_with_packed_input(packed);
    out.states = unpack(std::get<0>(r));
    out.final = std::get<1>(r).transpose(0, 1).contiguous();  // [batch, layers*dirs, hidden]
  } else {
    auto r = lstm_->forward_with_packed_input(packed);
    out.states = unpack(std::get<0>(r));
    out.final = std::get<0>(std::get<1>(r)).transpose(0, 1).contiguous();    // [b, l*d, h]
    out.final_c = std::get<1>(std::get<1>(r)).transpose(0, 1).contiguous();  // [b, l*d, h]
  }
  out.src_mask = src_mask;
  return out;
}

}  // namespace tinynmt
