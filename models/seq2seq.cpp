#include "models/seq2seq.h"

#include <memory>

#include "models/encoder_decoder.h"

namespace tinynmt {

std::shared_ptr<Seq2SeqImpl> make_seq2seq(const ModelConfig& cfg, int64_t src_vocab,
                                          int64_t tgt_vocab) {
  return std::make_shared<EncoderDecoderImpl>(cfg, src_vocab, tgt_vocab);
}

int64_t count_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

}  // namespace tinynmt
