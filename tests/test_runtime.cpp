// Process set-up (src/util/runtime.h): binding the compute threads to CPUs.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <torch/torch.h>

#include <cstdlib>
#include <set>
#include <vector>

#include "util/runtime.h"

namespace tinynmt {
namespace {

/// The CPUs the calling thread may run on.
std::vector<int> cpus_of_this_thread() {
  cpu_set_t s;
  CPU_ZERO(&s);
  pthread_getaffinity_np(pthread_self(), sizeof(s), &s);
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &s)) out.push_back(c);
  return out;
}

// With as many threads as CPUs, every thread of a parallel region runs on one CPU of its own;
// with one thread, or when the user set OMP_PROC_BIND, nothing is bound.
TEST(Runtime, BindsEachComputeThreadToItsOwnCpu) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  const int ncpu = CPU_COUNT(&allowed);
  if (ncpu < 2) GTEST_SKIP() << "needs at least 2 CPUs";
  for (const char* var : {"OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"})
    if (std::getenv(var) != nullptr) GTEST_SKIP() << var << " is set";
  const int before = at::get_num_threads();

  at::set_num_threads(1);
  EXPECT_FALSE(bind_threads_to_cpus());
  at::set_num_threads(ncpu);
  setenv("OMP_PROC_BIND", "false", 1);
  EXPECT_FALSE(bind_threads_to_cpus());
  unsetenv("OMP_PROC_BIND");
  EXPECT_EQ(cpus_of_this_thread().size(), static_cast<size_t>(ncpu));  // still unbound

  ASSERT_TRUE(bind_threads_to_cpus());
  std::vector<std::vector<int>> seen(static_cast<size_t>(ncpu));
  at::parallel_for(0, ncpu, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)] = cpus_of_this_thread();
  });
  std::set<int> distinct;
  for (const auto& s : seen) {
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(CPU_ISSET(s[0], &allowed));
    distinct.insert(s[0]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(ncpu));

  // Restore every thread's mask for the tests that may run after this one in the process.
  at::parallel_for(0, ncpu, 1, [&](int64_t, int64_t) {
    pthread_setaffinity_np(pthread_self(), sizeof(allowed), &allowed);
  });
  at::set_num_threads(before);
}

}  // namespace
}  // namespace tinynmt
