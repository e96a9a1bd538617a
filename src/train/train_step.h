// One training step's pieces, shared by the trainer (train/trainer.cpp) and `tinynmt bench`
// (bench/bench.cpp), so the benchmark measures exactly the computation that training runs.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "config/config.h"
#include "data/batching.h"
#include "models/seq2seq.h"
#include "train/loss.h"

namespace tinynmt {

/// The guided alignment term of one (micro-)batch (train/guided_alignment.h).
struct GuidedTerm {
  GuidedHead head;
  torch::Tensor guidance;  ///< [rows, tgt_len, src_len] (guidance_matrix), on the model's device
  double weight = 0.05;    ///< λ
  double normaliser = 1;   ///< supervised target pieces of the whole step (> 0)
};

/// Teacher-forced label-smoothed loss sums (train/loss.h) of one batch on the model's device.
/// On the CPU, for models with an output layer (Seq2SeqImpl::output_layer()), the output layer
/// is fused with the loss and run in cache-sized row blocks with pad rows dropped
/// (fused_output_label_smoothed_loss); otherwise (CUDA, or no output layer) the logits are
/// formed and label_smoothed_loss is applied. Both give the same sums and gradients.
/// With bf16_autocast the model's forward runs under CUDA bf16 autocast.
/// With `guided`, the model runs forward_features_guided(guided->head) and *guided_log_attention
/// receives the head's log-weights [batch, tgt_len, src_len].
LossSums teacher_forced_loss(Seq2SeqImpl& model, const Batch& batch, double label_smoothing,
                             bool bf16_autocast = false, const GuidedHead* guided = nullptr,
                             torch::Tensor* guided_log_attention = nullptr);

/// Forward pass, label-smoothed cross-entropy (train/loss.h, Szegedy et al. 2016 §7) and
/// backward pass of one (micro-)batch. `batch` must already be on the model's device and hold
/// tgt_in/tgt_out. The gradient of loss_sum / normaliser is accumulated into the parameters'
/// .grad (the caller zeroes them once per optimiser step; pass the step's total number of target
/// tokens as `normaliser` so accumulated micro-batches average over the whole step).
/// Returns the detached loss sum over the batch's non-pad target tokens: a scalar tensor on the
/// model's device. Nothing is read back to the host (no device synchronisation).
/// With bf16_autocast (training.precision: bf16, CUDA only) the forward pass runs under bf16
/// autocast; parameters, gradients and the loss stay float32.
/// With `guided` (Garg et al. 2019 §3), the gradient is that of
///   loss_sum / normaliser + λ · guided_sum / guided->normaliser
/// (guided_alignment_loss), and *guided_sum (when given) receives the detached guided sum; the
/// returned value stays the translation loss sum. λ = 0 gives the plain gradients exactly.
/// Throws std::invalid_argument when the batch has no targets or a normaliser <= 0.
torch::Tensor forward_backward(Seq2SeqImpl& model, const Batch& batch, double label_smoothing,
                               double normaliser, bool bf16_autocast = false,
                               const GuidedTerm* guided = nullptr,
                               torch::Tensor* guided_sum = nullptr);

/// The optimiser of training.optimizer: adam | adamw with training.lr, betas, weight decay and
/// eps 1e-9 (Vaswani et al. 2017 §5.3), or sgd (plain gradient descent with training.lr and
/// weight decay as an L2 term; no momentum, so it keeps no state).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainingConfig& t,
                                                        std::vector<torch::Tensor> params);

/// Drops every parameter's .grad (undefined, like PyTorch's zero_grad(set_to_none=True)), so the
/// next backward pass hands its gradient over to .grad instead of adding it to a zeroed tensor
/// (saves a fill and an add over all parameters per step). Adam/AdamW and clip_grad_norm_ skip
/// parameters without a gradient.
void clear_gradients(torch::optim::Optimizer& opt);

/// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& opt, double lr);

}  // namespace tinynmt
