#include "models/rnn_encoder.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "models/gru_cell.h"

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
  if (gru_ && emb.device().is_cpu()) {
    EncoderOutput out;
    out.src_mask = src_mask;
    out.states = encode_gru_masked(dropout_(emb), src_mask, &out.final);
    return out;
  }
  return encode_packed(emb, src_mask);
}

EncoderOutput RnnEncoderImpl::encode_packed(const torch::Tensor& emb,
                                            const torch::Tensor& src_mask) {
  namespace rnn = torch::nn::utils::rnn;
  const int64_t src_len = emb.size(1);
  EncoderOutput out;
  out.src_mask = src_mask;
  // pack_padded_sequence wants CPU int64 lengths >= 1.
  auto lengths = src_mask.sum(1).clamp_min(1).to(torch::kCPU, torch::kInt64);  // [batch]
  auto packed = rnn::pack_padded_sequence(dropout_(emb), lengths, /*batch_first=*/true,
                                          /*enforce_sorted=*/false);
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
  return out;
}

torch::Tensor RnnEncoderImpl::encode_gru_masked(const torch::Tensor& x0,
                                                const torch::Tensor& src_mask,
                                                torch::Tensor* final) {
  const int64_t b = x0.size(0), S = x0.size(1), H = cfg_.hidden_size;
  const auto params = gru_->named_parameters(/*recurse=*/false);
  auto keep = src_mask.unsqueeze(2);        // [batch, src_len, 1] bool
  auto keep_f = keep.to(x0.scalar_type());  // [batch, src_len, 1]
  std::vector<torch::Tensor> finals;        // layer-major, direction inner
  torch::Tensor x = x0;                     // [batch, src_len, in]
  for (int64_t l = 0; l < cfg_.layers; ++l) {
    if (l > 0 && cfg_.dropout > 0) x = dropout_(x);  // nn::GRU's inter-layer dropout
    std::vector<torch::Tensor> dir_outputs;
    for (int64_t d = 0; d < dirs_; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      const auto& w_ih = params["weight_ih" + sfx];
      const auto& w_hh = params["weight_hh" + sfx];
      const auto& b_ih = params["bias_ih" + sfx];
      const auto& b_hh = params["bias_hh" + sfx];
      auto gx_all = torch::matmul(x, w_ih.t()) + b_ih;  // [batch, src_len, 3·hidden], hoisted
      // One unbind, not a select per step: select's backward writes a zero-filled gradient of
      // the whole [batch, src_len, 3·hidden] tensor for every step (O(len²) memory traffic);
      // unbind's stacks the per-step gradients once.
      const auto gx = gx_all.unbind(1);    // src_len × [batch, 3·hidden]
      const auto keep_t = keep.unbind(1);  // src_len × [batch, 1]
      auto h = torch::zeros({b, H}, x.options());
      std::vector<torch::Tensor> steps(static_cast<size_t>(S));
      for (int64_t k = 0; k < S; ++k) {
        const int64_t t = d ? S - 1 - k : k;
        auto h_new = gru_cell(gx[t], torch::addmm(b_hh, h, w_hh.t()), h);
        // Padding (right of each sentence) leaves the state as it was: the forward direction
        // carries its last real state to the end, the reverse one starts at the last real word.
        h = torch::where(keep_t[t], h_new, h);  // [batch, hidden]
        steps[static_cast<size_t>(t)] = h;
      }
      dir_outputs.push_back(torch::stack(steps, 1) * keep_f);  // [batch, src_len, hidden]
      finals.push_back(h);
    }
    x = dirs_ == 2 ? torch::cat(dir_outputs, 2) : dir_outputs[0];
  }
  *final = torch::stack(finals, 1);  // [batch, layers*dirs, hidden]
  return x;                          // [batch, src_len, dirs*hidden]
}

}  // namespace tinynmt
