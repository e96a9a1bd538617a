#include "train/loss.h"

namespace tinynmt {

LossSums label_smoothed_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             double epsilon, int64_t pad_id) {
  const int64_t vocab = logits.size(-1);
  auto flat_logits = logits.reshape({-1, vocab});  // [N, V]
  auto flat_target = target.reshape({-1});          // [N]
  auto lprobs = torch::log_softmax(flat_logits.to(torch::kFloat), -1);  // [N, V]
  auto keep = flat_target.ne(pad_id);                                   // [N]
  auto safe_target = flat_target.masked_fill(~keep, 0);
  auto nll = -lprobs.gather(1, safe_target.unsqueeze(1)).squeeze(1);  // [N]
  nll = nll.masked_fill(~keep, 0.0);
  LossSums out;
  out.nll = nll.sum();
  if (epsilon > 0) {
    auto smooth = -lprobs.sum(1);  // [N]
    smooth = smooth.masked_fill(~keep, 0.0);
    out.loss = (1.0 - epsilon) * out.nll + (epsilon / static_cast<double>(vocab)) * smooth.sum();
  } else {
    out.loss = out.nll;
  }
  return out;
}

torch::Tensor label_smoothed_loss_reference(const torch::Tensor& logits,
                                            const torch::Tensor& target, double epsilon,
                                            int64_t pad_id) {
  const int64_t vocab = logits.size(-1);
  auto lprobs = torch::log_softmax(logits.reshape({-1, vocab}).to(torch::kFloat), -1);  // [N, V]
  auto y = target.reshape({-1});                                                        // [N]
  auto onehot = torch::one_hot(y, vocab).to(torch::kFloat);                             // [N, V]
  auto q = (1.0 - epsilon) * onehot + epsilon / static_cast<double>(vocab);             // [N, V]
  auto per_token = -(q * lprobs).sum(1);                                                // [N]
  return per_token.masked_select(y.ne(pad_id)).sum();
}

}  // namespace tinynmt
