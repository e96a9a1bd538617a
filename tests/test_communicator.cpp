// The data-parallel seam: the single-process communicator's semantics, and the Trainer's use of
// a communicator (one flat all-reduce per step; ranks > 0 write nothing in the run directory).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "tiny_runs.h"
#include "train/communicator.h"
#include "train/trainer.h"

using namespace tinynmt;
using test_runs::tiny_config;
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
  std::string bytes = "kept";
  comm.broadcast_bytes(bytes, 0);
  EXPECT_EQ(bytes, "kept");
  EXPECT_THROW(comm.broadcast_bytes(bytes, 1), std::invalid_argument);
}

namespace {

/// Rank `rank` of a group of two whose other rank holds the same tensors: all_reduce_sum doubles,
/// broadcast and broadcast_bytes leave their argument. Counts the calls. (Real groups of two are
/// tested through the binary: test_distributed_training.cpp, tests/cli/distributed*.sh.)
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
  void broadcast_bytes(std::string&, int) override {}

  int all_reduces = 0;
  int broadcasts = 0;
  int64_t reduced_numel = 0;

 private:
  int rank_;
};

}  // namespace

TEST(Communicator, TrainerReducesOneFlatBufferPerStep) {
  Config c = tiny_config("tinynmt_comm_rank0", 6);
  fs::remove_all(c.run.dir);
  auto comm = std::make_unique<MirroredPairCommunicator>(0);
  MirroredPairCommunicator* seen = comm.get();
  Trainer trainer(c, std::move(comm));
  TrainResult r = trainer.run();
  EXPECT_EQ(r.steps, 6);
  // One all-reduce per optimiser step, and one at start (the ranks' config hashes).
  EXPECT_EQ(seen->all_reduces, 6 + 1);
  EXPECT_GT(seen->broadcasts, 1);  // the config hash and the initial weights come from rank 0
  // The flat buffer: every parameter, a has-gradient count per parameter, the loss, two flags.
  auto info = read_checkpoint_info((fs::path(c.run.dir) / "last.ckpt").string());
  auto model = make_seq2seq(c.model, info.state.src_vocab, info.state.tgt_vocab);
  int64_t numel = 0;
  for (const auto& p : model->parameters()) numel += p.numel();
  EXPECT_EQ(seen->reduced_numel, numel + static_cast<int64_t>(model->parameters().size()) + 3);
}

TEST(Communicator, OnlyRankZeroWritesTheRun) {
  Config c = tiny_config("tinynmt_comm_rank1", 5);
  fs::remove_all(c.run.dir);
  TrainResult r = Trainer(c, std::make_unique<MirroredPairCommunicator>(1)).run();
  EXPECT_EQ(r.outcome, TrainOutcome::kFinished);
  EXPECT_EQ(r.steps, 5);
  // Not even the directory: ranks > 0 keep rank 0's files in a scratch directory of their own.
  EXPECT_FALSE(fs::exists(c.run.dir)) << c.run.dir;
}
