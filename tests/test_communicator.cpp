// The data-parallel seam: the single-process communicator's semantics, and the Trainer's use of
// a communicator (gradients reduced once per step and averaged; only rank 0 writes the run).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "config/config.h"
#include "tiny_runs.h"
#include "train/communicator.h"
#include "train/trainer.h"

using namespace tinynmt;
using test_runs::tiny_config;
using test_runs::train_losses;
namespace fs = std::filesystem;

TEST(Communicator, SingleProcessIsRankZeroOfOne) {
  SingleProcessCommunicator comm;
  EXPECT_EQ(comm.world_size(), 1);
  EXPECT_EQ(comm.rank(), 0);
}

TEST(Communicator, SingleProcessAllReduceLeavesValues) {
  SingleProcessCommunicator comm;
  torch::Tensor flat = torch::arange(6, torch::kFloat).mul_(0.5);  // [6]
  torch::Tensor before = flat.clone();
  void* storage = flat.data_ptr();
  comm.all_reduce_sum(flat);
  EXPECT_TRUE(torch::equal(flat, before));
  EXPECT_EQ(flat.data_ptr(), storage);  // in place: the same tensor
}

TEST(Communicator, SingleProcessBroadcastFromRankZeroLeavesValues) {
  SingleProcessCommunicator comm;
  torch::Tensor t = torch::tensor({1.5, -2.0, 3.25});
  torch::Tensor before = t.clone();
  comm.broadcast(t, 0);
  EXPECT_TRUE(torch::equal(t, before));
  EXPECT_THROW(comm.broadcast(t, 1), std::invalid_argument);
  comm.barrier();  // returns at once
}

namespace {

/// Rank `rank` of a group of two whose other rank holds the same tensors: all_reduce_sum doubles,
/// broadcast leaves the tensor. Counts the calls.
class MirroredPairCommunicator : public Communicator {
 public:
  explicit MirroredPairCommunicator(int rank) : rank_(rank) {}
  int world_size() const override { return 2; }
  int rank() const override { return rank_; }
  void all_reduce_sum(torch::Tensor& flat) override {
    ++all_reduces;
    reduced_numel = flat.numel();
    flat.mul_(2);
  }
  void broadcast(torch::Tensor&, int) override { ++broadcasts; }
  void barrier() override {}

  int all_reduces = 0;
  int broadcasts = 0;
  int64_t reduced_numel = 0;

 private:
  int rank_;
};

}  // namespace

TEST(Communicator, TrainerAveragesGradientsOverTheGroup) {
  Config c = tiny_config("tinynmt_comm_rank0", 6);
  // Adam is blind to the gradients' scale; its L2 term (weight_decay) without clipping is not, so
  // a sum left undivided (or divided twice) changes the losses.
  c.training.weight_decay = 0.5;
  c.training.clip_norm = 0;
  fs::remove_all(c.run.dir);
  train(c);  // one process
  auto single = train_losses(c.run.dir);
  fs::remove_all(c.run.dir);
  auto comm = std::make_unique<MirroredPairCommunicator>(0);
  MirroredPairCommunicator* seen = comm.get();
  Trainer trainer(c, std::move(comm));
  TrainResult r = trainer.run();
  EXPECT_EQ(r.steps, 6);
  EXPECT_EQ(seen->all_reduces, 6);  // once per optimiser step
  EXPECT_GT(seen->broadcasts, 0);   // the initial weights come from rank 0
  EXPECT_GT(seen->reduced_numel, 0);
  // Summed over two identical ranks and divided by two: the single-process gradients exactly.
  auto pair = train_losses(c.run.dir);
  ASSERT_EQ(single.size(), 6u);
  ASSERT_EQ(pair.size(), single.size());
  for (const auto& [step, loss] : single) EXPECT_EQ(pair[step], loss) << "step " << step;
}

TEST(Communicator, OnlyRankZeroWritesTheRun) {
  Config c = tiny_config("tinynmt_comm_rank1", 5);
  fs::remove_all(c.run.dir);
  TrainResult r = Trainer(c, std::make_unique<MirroredPairCommunicator>(1)).run();
  EXPECT_EQ(r.outcome, TrainOutcome::kFinished);
  EXPECT_EQ(r.steps, 5);
  for (const char* f :
       {"metrics.jsonl", "last.ckpt", "best.ckpt", "config.yaml", "curves.png", "step_5.ckpt"})
    EXPECT_FALSE(fs::exists(fs::path(c.run.dir) / f)) << f;
}
