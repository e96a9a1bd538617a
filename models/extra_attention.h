// An attention computed on top of a model's teacher-forced pass, outside the model itself (an
// alignment layer, models/alignment_layer.h): forced decoding exports its weights as one more
// attention layer without knowing the concrete module.
#pragma once

#include <torch/torch.h>

#include "models/seq2seq.h"

namespace tinynmt {

class ExtraAttention {
 public:
  virtual ~ExtraAttention() = default;

  /// The weights on fw = model.forward_features(src, tgt_in) (src [batch, src_len] ids):
  /// [batch, tgt_len, src_len], rows sum to 1 over the positions it may attend.
  /// Throws std::invalid_argument when the model gives no features it needs.
  virtual torch::Tensor extra_weights(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const Seq2SeqOutput& fw) = 0;
};

}  // namespace tinynmt
