// Checkpoints (run/checkpoint.h): round trip with optimiser and state, atomic replacement, one-line
// errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "run/checkpoint.h"

using namespace tinynmt;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(Checkpoint, SaveLoadRoundTripWithOptimizerAndState) {
  fs::path dir = fresh_dir("tinynmt_ckpt_roundtrip");
  torch::manual_seed(3);
  torch::nn::Linear net(4, 3);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(0.01));
  auto loss = net->forward(torch::randn({5, 4})).pow(2).sum();
  loss.backward();
  opt.step();
  TrainState st;
  st.step = 17;
  st.epoch = 2;
  st.batch_in_epoch = 5;
  st.metric = "bleu";
  st.schedule_state = "{}";
  save_checkpoint((dir / "last.ckpt").string(), *net, &opt, st, "run: {}\n");

  torch::nn::Linear other(4, 3);
  torch::optim::Adam opt2(other->parameters(), torch::optim::AdamOptions(0.01));
  auto info = load_checkpoint((dir / "last.ckpt").string(), *other, &opt2, torch::kCPU, false);
  EXPECT_EQ(info.state.step, 17);
  EXPECT_EQ(info.state.batch_in_epoch, 5);
  EXPECT_EQ(info.config_yaml, "run: {}\n");
  EXPECT_TRUE(torch::equal(other->weight, net->weight));
  // The Adam moments came back: one more identical step gives identical weights.
  auto x = torch::randn({5, 4});
  opt.zero_grad();
  net->forward(x).pow(2).sum().backward();
  opt.step();
  opt2.zero_grad();
  other->forward(x).pow(2).sum().backward();
  opt2.step();
  EXPECT_TRUE(torch::allclose(other->weight, net->weight, 0, 0));
}

TEST(Checkpoint, FailedRenameLeavesPreviousCheckpointLoadable) {
  fs::path dir = fresh_dir("tinynmt_ckpt_atomic");
  torch::nn::Linear net(2, 2);
  TrainState st;
  st.step = 1;
  st.schedule_state = "{}";
  const std::string path = (dir / "last.ckpt").string();
  save_checkpoint(path, *net, nullptr, st, "a");
  st.step = 2;
  CheckpointHooks hooks;
  hooks.before_rename = [](const std::string&) { throw std::runtime_error("simulated crash"); };
  EXPECT_THROW(save_checkpoint(path, *net, nullptr, st, "b", hooks), std::runtime_error);
  auto info = read_checkpoint_info(path);
  EXPECT_EQ(info.state.step, 1);
  EXPECT_EQ(info.config_yaml, "a");
  // No temporary file is left behind.
  int files = 0;
  for (auto& e : fs::directory_iterator(dir)) (void)e, ++files;
  EXPECT_EQ(files, 1);
}

TEST(Checkpoint, CorruptFileGivesOneLineError) {
  fs::path dir = fresh_dir("tinynmt_ckpt_corrupt");
  { std::ofstream(dir / "last.ckpt") << "not a checkpoint"; }
  try {
    read_checkpoint_info((dir / "last.ckpt").string());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("last.ckpt"), std::string::npos);
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}
