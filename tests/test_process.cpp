// Process probes (util/process.h): the temporary directory, the UTC clock, peak memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "util/process.h"

using namespace tinynmt;
namespace fs = std::filesystem;

TEST(Process, TempDirExistsAndIsRemovedWithItsContents) {
  std::string path;
  {
    TempDir a, b;
    path = a.path();
    EXPECT_NE(a.path(), b.path());
    ASSERT_TRUE(fs::is_directory(path));
    std::ofstream(fs::path(path) / "file.txt") << "x";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(Process, UtcNowIsIso8601ToTheSecond) {
  EXPECT_TRUE(std::regex_match(utc_now(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << utc_now();
}

// After a reset the peak-RSS mark is the current RSS; touching 64 MB more raises it by about that
// much, in MB. getrusage's peak never falls, so it stays at or above the reset mark.
TEST(Process, PeakRssResetsAndGrowsWithMemoryTouched) {
  if (!reset_peak_rss()) GTEST_SKIP() << "no /proc/self/clear_refs here";
  const double after_reset = vm_hwm_mb();
  ASSERT_GT(after_reset, 0);
  EXPECT_GE(max_rss_mb() + 1, after_reset);
  constexpr size_t kBytes = 64u << 20;
  std::vector<char> block(kBytes);
  for (size_t i = 0; i < kBytes; i += 4096) block[i] = static_cast<char>(i);
  volatile char sink = block[kBytes / 2];
  (void)sink;
  EXPECT_GE(vm_hwm_mb() - after_reset, 60.0);
  EXPECT_GE(max_rss_mb() + 1, vm_hwm_mb());
}
