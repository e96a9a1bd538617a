#include "train/train_step.h"

#include <stdexcept>

#include "models/special_ids.h"
#include "train/guided_alignment.h"
#include "util/torch_compat.h"

namespace tinynmt {
namespace {

/// bf16 autocast on CUDA for the forward pass (training.precision: bf16); parameters, gradients,
/// optimiser state and the loss stay float32. A no-op when disabled.
class AutocastGuard {
 public:
  explicit AutocastGuard(bool enable) : enabled_(enable) {
    if (enabled_) compat::set_cuda_bf16_autocast(true);
  }
  ~AutocastGuard() {
    if (enabled_) compat::set_cuda_bf16_autocast(false);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
};

}  // namespace

LossSums teacher_forced_loss(Seq2SeqImpl& model, const Batch& batch, double label_smoothing,
                             bool bf16_autocast, const GuidedHead* guided,
                             torch::Tensor* guided_log_attention) {
  if (!batch.tgt_in.defined() || !batch.tgt_out.defined())
    throw std::invalid_argument(
        "teacher_forced_loss: the batch has no targets (a decoding batch?)");
  const bool fuse = !batch.tgt_out.is_cuda() && model.output_layer().weight.defined();
  Seq2SeqOutput out;
  {
    AutocastGuard autocast(bf16_autocast);
    if (guided) {
      out = model.forward_features_guided(batch.src, batch.tgt_in, *guided);       // features
      if (!fuse) out.logits = model.output_layer().logits(out.features);           // [b, T, vocab]
      if (guided_log_attention) *guided_log_attention = out.guided_log_attention;  // [b, T, S]
    } else {
      out = fuse ? model.forward_features(batch.src, batch.tgt_in)  // features [b, T, D]
                 : model.forward(batch.src, batch.tgt_in);          // logits [b, T, vocab]
    }
  }
  if (fuse) {
    auto layer = model.output_layer();
    return fused_output_label_smoothed_loss(out.features, layer.weight, layer.bias, batch.tgt_out,
                                            label_smoothing, kPadId);
  }
  return label_smoothed_loss(out.logits, batch.tgt_out, label_smoothing, kPadId);
}

torch::Tensor forward_backward(Seq2SeqImpl& model, const Batch& batch, double label_smoothing,
                               double normaliser, bool bf16_autocast, const GuidedTerm* guided,
                               torch::Tensor* guided_sum) {
  if (!(normaliser > 0) || (guided && !(guided->normaliser > 0)))
    throw std::invalid_argument("forward_backward: normaliser must be > 0, got " +
                                std::to_string(guided ? guided->normaliser : normaliser));
  torch::Tensor log_attention;  // [b, T, S] with guided
  auto sums = teacher_forced_loss(model, batch, label_smoothing, bf16_autocast,
                                  guided ? &guided->head : nullptr, &log_attention);
  auto total = sums.loss / normaliser;
  if (guided) {
    auto g = guided_alignment_loss(log_attention, guided->guidance);  // []
    total = total + g * (guided->weight / guided->normaliser);
    if (guided_sum) *guided_sum = g.detach();
  }
  total.backward();
  return sums.loss.detach();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainingConfig& t,
                                                        std::vector<torch::Tensor> params) {
  if (t.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(t.lr).weight_decay(t.weight_decay));
  if (t.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(t.lr)
                                                             .betas({t.beta1, t.beta2})
                                                             .eps(1e-9)
                                                             .weight_decay(t.weight_decay));
  return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(t.lr)
                                                          .betas({t.beta1, t.beta2})
                                                          .eps(1e-9)
                                                          .weight_decay(t.weight_decay));
}

void clear_gradients(torch::optim::Optimizer& opt) {
  for (auto& group : opt.param_groups())
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

void set_learning_rate(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

}  // namespace tinynmt
