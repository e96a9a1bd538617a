// The seam for data-parallel training: what the Trainer asks of the group of processes it runs
// in. One process uses SingleProcessCommunicator; ranks of a c10d group (one per device or CPU
// share, on one or several machines) use C10dCommunicator (train/c10d_communicator.h).
#pragma once

#include <torch/torch.h>

#include <string>

namespace tinynmt {

/// A group of training processes ("ranks") that hold replicas of one model.
class Communicator {
 public:
  virtual ~Communicator() = default;

  /// Number of ranks in the group (>= 1).
  virtual int world_size() const = 0;
  /// This process's rank in [0, world_size()); rank 0 logs and writes checkpoints.
  virtual int rank() const = 0;
  /// Replaces `flat` (any shape, typically the flattened gradients) on every rank with the
  /// element-wise sum of all ranks' tensors, in place. Shape, dtype and device are unchanged.
  virtual void all_reduce_sum(torch::Tensor& flat) = 0;
  /// Copies rank `root`'s `tensor` into `tensor` on every other rank, in place.
  /// Throws std::invalid_argument when root is not a rank of the group.
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  /// Returns once every rank has called it.
  virtual void barrier() = 0;
  /// Copies rank `root`'s `bytes` into `bytes` on every other rank. Unlike the collectives, the
  /// other ranks wait as long as the root needs to get there (validation, tokenizer training),
  /// not the group's timeout; they fail at once when the root's process is gone.
  /// Throws std::invalid_argument when root is not a rank of the group.
  virtual void broadcast_bytes(std::string& bytes, int root) = 0;
  /// Ranks on this machine (LOCAL_WORLD_SIZE) and this process's index among them (LOCAL_RANK):
  /// CPU threads per rank and the CUDA device of a rank follow from them.
  virtual int local_world_size() const { return 1; }
  virtual int local_rank() const { return 0; }
};

/// The group of one: rank 0 of 1. all_reduce_sum and broadcast leave the tensor as it is (the
/// sum over one rank is the tensor itself); barrier returns at once.
class SingleProcessCommunicator final : public Communicator {
 public:
  int world_size() const override { return 1; }
  int rank() const override { return 0; }
  void all_reduce_sum(torch::Tensor&) override {}
  void broadcast(torch::Tensor&, int root) override;
  void barrier() override {}
  void broadcast_bytes(std::string&, int root) override;
};

}  // namespace tinynmt
