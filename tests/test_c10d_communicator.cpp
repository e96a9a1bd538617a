// C10dCommunicator: two ranks as two threads of this process (a TCPStore on 127.0.0.1 and Gloo
// over loopback): all-reduce, broadcast, bytes, barrier; a lost rank is named; a port in use and
// bad environment variables give one line.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "train/c10d_communicator.h"
#include "train/dist_env.h"
#include "train/launcher.h"

using namespace tinynmt;

namespace {

DistEnv env_for(int rank, int port) {
  DistEnv e;
  e.world_size = 2;
  e.rank = rank;
  e.local_world_size = 2;
  e.local_rank = rank;
  e.master_port = port;
  return e;
}

// Both ranks of a group of two, connected (the constructors rendezvous, so they run together).
std::pair<std::unique_ptr<C10dCommunicator>, std::unique_ptr<C10dCommunicator>> make_pair_of_ranks(
    int timeout_s = 20) {
  const int port = free_local_port();
  C10dOptions o;
  o.timeout = std::chrono::seconds(timeout_s);
  auto r1 = std::async(std::launch::async,
                       [&] { return std::make_unique<C10dCommunicator>(env_for(1, port), o); });
  auto r0 = std::make_unique<C10dCommunicator>(env_for(0, port), o);
  return {std::move(r0), r1.get()};
}

}  // namespace

TEST(C10dCommunicator, AllReduceBroadcastBytesAndBarrierAcrossTwoRanks) {
  auto [c0, c1] = make_pair_of_ranks();
  EXPECT_EQ(c0->rank(), 0);
  EXPECT_EQ(c1->rank(), 1);
  EXPECT_EQ(c1->world_size(), 2);
  EXPECT_EQ(c1->local_world_size(), 2);
  torch::Tensor a = torch::tensor({1.f, 2.f, 3.f}), b = torch::tensor({10.f, 20.f, 30.f});
  auto other = std::async(std::launch::async, [&, c = c1.get()] {
    c->all_reduce_sum(b);
    torch::Tensor w = torch::zeros({2});
    c->broadcast(w, 0);
    std::string s;
    c->broadcast_bytes(s, 0);
    c->barrier();
    return std::make_pair(w, s);
  });
  c0->all_reduce_sum(a);
  torch::Tensor w0 = torch::tensor({7.f, -1.f});
  c0->broadcast(w0, 0);
  std::string s0 = std::string("rank 0's\0bytes", 14);
  c0->broadcast_bytes(s0, 0);
  c0->barrier();
  auto [w1, s1] = other.get();
  EXPECT_TRUE(torch::equal(a, torch::tensor({11.f, 22.f, 33.f})));
  EXPECT_TRUE(torch::equal(b, torch::tensor({11.f, 22.f, 33.f})));
  EXPECT_TRUE(torch::equal(w1, torch::tensor({7.f, -1.f})));
  EXPECT_EQ(s1, s0);  // binary-safe, any length
  EXPECT_THROW(c0->broadcast(a, 2), std::invalid_argument);
}

TEST(C10dCommunicator, NamesTheLostRankWithinTheTimeout) {
  auto [c0, c1] = make_pair_of_ranks(10);
  c1.reset();  // rank 1 goes away: its sockets close, as when its process is killed
  torch::Tensor t = torch::ones({4});
  auto start = std::chrono::steady_clock::now();
  try {
    c0->all_reduce_sum(t);
    FAIL() << "all-reduce with a lost rank returned";
  } catch (const CommError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("lost rank 1"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(C10dCommunicator, PortInUseIsOneLine) {
  // A rank 0 whose store listens on `port` (waiting for a rank 1 that never comes), and a second
  // rank 0 started on the same port.
  const int port = free_local_port();
  C10dOptions o;
  o.timeout = std::chrono::seconds(4);
  auto waiting = std::async(std::launch::async, [&] {
    try {
      C10dCommunicator first(env_for(0, port), o);
    } catch (const CommError&) {
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  try {
    C10dCommunicator second(env_for(0, port), o);
    FAIL() << "a second store on a busy port started";
  } catch (const CommError& err) {
    std::string msg = err.what();
    EXPECT_NE(msg.find("MASTER_PORT " + std::to_string(port) + " is already in use"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  waiting.get();
}

TEST(DistEnv, ReadsTorchrunVariablesAndNamesABadOne) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("LOCAL_WORLD_SIZE", "2", 1);
  ::setenv("LOCAL_RANK", "1", 1);
  ::setenv("MASTER_ADDR", "10.1.2.3", 1);
  ::setenv("MASTER_PORT", "29511", 1);
  DistEnv e = read_dist_env();
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "10.1.2.3");
  EXPECT_EQ(e.master_port, 29511);
  EXPECT_TRUE(e.distributed());
  EXPECT_FALSE(e.agent_store);  // rank 0 serves the store unless torchrun's agent does
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "True", 1);
  ::setenv("TORCHELASTIC_RESTART_COUNT", "2", 1);
  e = read_dist_env();
  EXPECT_TRUE(e.agent_store);
  EXPECT_EQ(e.restart_count, 2);
  ::setenv("TORCHELASTIC_USE_AGENT_STORE", "False", 1);
  EXPECT_FALSE(read_dist_env().agent_store);
  ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
  ::unsetenv("TORCHELASTIC_RESTART_COUNT");
  ::setenv("RANK", "4", 1);
  try {
    read_dist_env();
    FAIL() << "RANK 4 of 4 accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("RANK='4'"), std::string::npos) << err.what();
  }
  ::setenv("RANK", "x", 1);
  EXPECT_THROW(read_dist_env(), std::invalid_argument);
  for (const char* v :
       {"WORLD_SIZE", "RANK", "LOCAL_WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"})
    ::unsetenv(v);
  EXPECT_FALSE(read_dist_env().distributed());
}
