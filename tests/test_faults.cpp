// Faults during training, through the binary:
// - SIGKILL at random points and in the middle of checkpoint writes: after each kill the last
//   checkpoint loads, the resume removes what the kill left behind and drops the log records it
//   trains again, and the run finished through kills and resumes ends with the weights of the
//   same run left alone (same steps, same seed, one thread);
// - a full disk during a checkpoint write (a small tmpfs; needs root, skipped otherwise): the
//   write fails with one line naming the file and the cause, and last.ckpt keeps its content.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint_weights.h"
#include "config/config.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "run/run_dir.h"
#include "temp_files.h"
#include "tiny_runs.h"
#include "train/metrics_log.h"

using namespace tinynmt;
using tinynmt::test_files::slurp;
namespace fs = std::filesystem;

namespace {

// Starts the binary with `args`, stdout and stderr appended to `log`; returns its process id.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(TINYNMT_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(TINYNMT_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid`; returns its exit code, or 128 + the signal that killed it.
int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The names of the files in `dir` that a write in progress uses (NAME.tmp, NAME.tmpPID).
std::set<std::string> temporaries(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.insert(e.path().filename().string());
  return out;
}

// True when `pid` has exited; the exit stays waitable (wait_for still reaps it).
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Kills `pid` with SIGKILL inside a checkpoint write, within 60 s. When a temporary file not in
// `old` appears in `dir` (a write in progress), the process is stopped with SIGSTOP first; a
// signal takes effect only between system calls, so once it has stopped, a file still there is
// one the rename has not reached. Then SIGKILL, and true. A write that ended before the stop is
// let go on (SIGCONT) and the next one tried. False when no write was caught: the run ended or
// 60 s passed (the process is killed then).
bool kill_during_write(pid_t pid, const fs::path& dir, const std::set<std::string>& old) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until && !has_exited(pid)) {
    for (const auto& name : temporaries(dir)) {
      if (old.count(name)) continue;
      ::kill(pid, SIGSTOP);
      siginfo_t info{};
      ::waitid(P_PID, pid, &info, WSTOPPED | WEXITED | WNOWAIT);
      if (info.si_code == CLD_STOPPED && fs::exists(dir / name)) {
        ::kill(pid, SIGKILL);
        return true;
      }
      ::kill(pid, SIGCONT);
      break;
    }
  }
  ::kill(pid, SIGKILL);
  return false;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::map<std::string, torch::Tensor> weights(const std::string& ckpt, const Config& cfg) {
  return test_runs::checkpoint_weights(ckpt, cfg);
}

Config fault_config(const std::string& name, int64_t steps) {
  Config c = test_runs::tiny_config(name, steps);
  c.model.encoder.d_model = c.model.decoder.d_model = 64;  // checkpoint writes take a while
  c.model.encoder.ff = c.model.decoder.ff = 256;
  c.training.validate_every = 2;
  c.training.keep_checkpoints = 2;
  return c;
}

std::string write_yaml(const Config& c, const std::string& name) {
  fs::path path = fs::temp_directory_path() / (name + ".yaml");
  std::ofstream(path) << to_yaml_string(c);
  return path.string();
}

}  // namespace

// Six kills, alternately at a random time and inside a checkpoint write, each followed by
// --resume. A random kill may come after the run's last step on a fast machine (one random kill
// can cost 30 steps): the kills then end there, as long as one of each kind happened.
TEST(Faults, KilledRunResumesToTheUninterruptedWeights) {
  const int64_t steps = 200;
  Config cfg = fault_config("tinynmt_faults_cfg", steps);
  const std::string yaml = write_yaml(cfg, "tinynmt_faults");
  const fs::path tmp = fs::temp_directory_path();
  const fs::path alone = tmp / "tinynmt_faults_alone", killed = tmp / "tinynmt_faults_killed";
  fs::remove_all(alone);
  fs::remove_all(killed);
  const std::string log = (tmp / "tinynmt_faults.log").string();
  fs::remove(log);
  ASSERT_EQ(wait_for(spawn({"train", yaml, "--set", "run.dir=" + alone.string()}, log)), 0)
      << slurp(log);

  std::mt19937 rng(std::random_device{}());
  pid_t pid = spawn({"train", yaml, "--set", "run.dir=" + killed.string()}, log);
  const fs::path last = killed / "last.ckpt";
  while (!fs::exists(last)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  int in_write = 0, kills = 0;
  bool finished = false;
  for (int round = 0; round < 6; ++round) {
    if (round % 2 == 0) {  // a random point
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
      ::kill(pid, SIGKILL);
    } else if (kill_during_write(pid, killed, temporaries(killed))) {
      ++in_write;
    }
    const int status = wait_for(pid);
    if (status == 0 && kills >= 2) {  // the run ended before this kill
      std::cout << "kill " << round << ": the run had finished\n";
      finished = true;
      break;
    }
    ASSERT_EQ(status, 128 + SIGKILL) << "round " << round << " finished before the kill";
    ++kills;
    // What a kill leaves: the last checkpoint loads.
    auto info = read_checkpoint_info(last.string());
    EXPECT_NO_THROW(weights(last.string(), cfg)) << "round " << round;
    ASSERT_LT(info.state.step, steps) << "round " << round;
    std::cout << "kill " << round << (round % 2 ? " (checkpoint write)" : " (random point)")
              << ": last.ckpt at step " << info.state.step << ", temporary files left "
              << temporaries(killed).size() << "\n";
    pid = spawn({"train", "--resume", killed.string()}, log);
    while (count(slurp(log), "resuming from") < round + 1)  // resumed: leftovers removed
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GE(in_write, 1) << "no kill landed inside a checkpoint write";
  if (!finished) {
    ASSERT_EQ(wait_for(pid), 0) << slurp(log);
  }
  EXPECT_NE(slurp(log).find(": left by an interrupted write"), std::string::npos);
  EXPECT_TRUE(temporaries(killed).empty());

  // Each step logged once, and the same weights as the run left alone.
  auto losses = test_runs::train_losses(killed.string());
  EXPECT_EQ(static_cast<int64_t>(losses.size()), steps);
  std::ifstream in(killed / "metrics.jsonl");
  int64_t train_records = 0;
  for (std::string line; std::getline(in, line);)
    train_records += line.find("\"type\":\"train\"") != std::string::npos;
  EXPECT_EQ(train_records, steps) << "records of steps trained again were kept";
  auto a = weights((alone / "last.ckpt").string(), cfg);
  auto b = weights(last.string(), cfg);
  double worst = 0;
  for (const auto& [name, t] : a) worst = std::max(worst, (t - b[name]).abs().max().item<double>());
  std::cout << kills << " kills, " << in_write
            << " inside a checkpoint write; largest weight difference to the "
            << "run left alone: " << worst << "\n";
  EXPECT_LE(worst, 1e-6);
}

// A run directory on a 16 MB tmpfs filled up to a few KB: the next checkpoint cannot be written.
TEST(Faults, FullDiskDuringCheckpointKeepsLastAndNamesTheCause) {
  Config cfg = fault_config("tinynmt_faults_disk_cfg", 4);
  const std::string yaml = write_yaml(cfg, "tinynmt_faults_disk");
  const fs::path tmp = fs::temp_directory_path();
  const fs::path run = tmp / "tinynmt_faults_disk_run", mnt = tmp / "tinynmt_faults_disk_mnt";
  const std::string log = (tmp / "tinynmt_faults_disk.log").string();
  fs::remove_all(run);
  fs::remove(log);
  ASSERT_EQ(wait_for(spawn({"train", yaml, "--set", "run.dir=" + run.string()}, log)), 0)
      << slurp(log);
  std::system(("umount " + mnt.string() + " 2>/dev/null").c_str());
  fs::remove_all(mnt);
  fs::create_directories(mnt);
  if (::geteuid() != 0 ||
      std::system(
          ("mount -t tmpfs -o size=16m tinynmt_full " + mnt.string() + " 2>/dev/null").c_str()) !=
          0)
    GTEST_SKIP() << "mounting a small tmpfs needs root and the right to mount";
  struct Unmount {
    fs::path dir;
    ~Unmount() { std::system(("umount " + dir.string()).c_str()); }
  } unmount{mnt};
  const fs::path full = mnt / "run";
  fs::copy(run, full, fs::copy_options::recursive);
  const std::string before = slurp((full / "last.ckpt").string());
  // Fill the file system but for 4 KB: room for a log record, not for a checkpoint.
  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (fs::space(mnt).available > 8192 && filler.write(block.data(), block.size())) {
      filler.flush();
    }
  }
  ASSERT_LE(fs::space(mnt).available, 8192u);
  const std::string log2 = (tmp / "tinynmt_faults_disk2.log").string();
  fs::remove(log2);
  int rc = wait_for(spawn({"train", "--resume", full.string(), "--set", "training.max_steps=8",
                           "--set", "training.report_sentences=0"},
                          log2));
  const std::string out = slurp(log2);
  EXPECT_NE(rc, 0) << out;
  EXPECT_LT(rc, 128) << "killed by a signal: " << out;
  std::cout << out.substr(out.rfind("error")) << "\n";
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_NE(out.find(".ckpt: cannot write checkpoint"), std::string::npos) << out;
  EXPECT_EQ(slurp((full / "last.ckpt").string()), before) << "last.ckpt changed";
  EXPECT_TRUE(temporaries(full).empty());
}

// The pieces a resume after a kill uses, one by one.
TEST(Faults, ResumeCleansWhatAKillLeft) {
  const fs::path dir = fs::temp_directory_path() / "tinynmt_faults_unit";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* name : {"last.ckpt.tmp123", "report.html.tmp", "last.ckpt", "notes.tmpx"})
    std::ofstream(dir / name) << "x";
  auto removed = RunDir{dir.string()}.remove_interrupted_writes();
  EXPECT_EQ(removed, (std::vector<std::string>{"last.ckpt.tmp123", "report.html.tmp"}));
  EXPECT_TRUE(fs::exists(dir / "last.ckpt"));
  EXPECT_TRUE(fs::exists(dir / "notes.tmpx"));  // not a name the writers use

  const std::string metrics = (dir / "metrics.jsonl").string();
  std::ofstream(metrics) << "{\"type\":\"train\",\"step\":1}\n{\"type\":\"valid\",\"step\":2}\n"
                            "{\"type\":\"train\",\"step\":3}\n{\"type\":\"tra";  // cut by a kill
  EXPECT_EQ(drop_records_after_step(metrics, 2), 2);
  EXPECT_EQ(slurp(metrics), "{\"type\":\"train\",\"step\":1}\n{\"type\":\"valid\",\"step\":2}\n");
  EXPECT_EQ(drop_records_after_step(metrics, 2), 0);
  EXPECT_EQ(drop_records_after_step((dir / "missing.jsonl").string(), 2), 0);
  EXPECT_FALSE(fs::exists(dir / "missing.jsonl"));
}
