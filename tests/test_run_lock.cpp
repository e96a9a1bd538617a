// The run directory's lock: one holder at a time, a clear message naming the holder, released
// with its holder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "run/run_lock.h"
#include "temp_files.h"

using namespace tinynmt;
namespace fs = std::filesystem;

TEST(RunLock, SecondHolderIsRefusedNamingTheFirstUntilItIsReleased) {
  const std::string dir = test_files::temp_file("run_lock", "run");
  fs::create_directories(dir);
  std::optional<RunLock> first;
  first.emplace(dir);
  try {
    RunLock second(dir);
    FAIL() << "a second lock on a held run directory";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("is in use by another trainer (process " + std::to_string(::getpid())),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  }
  first.reset();
  EXPECT_NO_THROW(RunLock again(dir));
  fs::remove_all(dir);
}

TEST(RunLock, MissingDirectoryIsOneLineNamingTheLockFile) {
  const std::string dir = test_files::temp_file("run_lock", "missing/deeper");
  try {
    RunLock lock(dir);
    FAIL() << "locked a directory that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(".lock"), std::string::npos) << e.what();
  }
}
