// A tiny copy corpus (letters a-p, 4-9 per line; train 400, dev 20 lines, written once under the
// temporary directory), a one-layer Transformer run config on it that trains in seconds, and the
// train losses of a run's metrics.jsonl.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "config/config.h"

namespace tinynmt::test_runs {

inline std::filesystem::path make_corpus() {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tinynmt_trainer_corpus";
  if (std::filesystem::exists(dir / "dev.tgt")) return dir;
  std::filesystem::create_directories(dir);
  std::mt19937 rng(5);
  const std::string letters = "abcdefghijklmnop";
  for (auto [name, n] : {std::pair<std::string, int>{"train", 400}, {"dev", 20}}) {
    std::ofstream src(dir / (name + ".src")), tgt(dir / (name + ".tgt"));
    for (int i = 0; i < n; ++i) {
      int len = 4 + rng() % 6;
      std::string line;
      for (int k = 0; k < len; ++k)
        line += std::string(k ? " " : "") + letters[rng() % letters.size()];
      src << line << "\n";
      tgt << line << "\n";
    }
  }
  return dir;
}

inline Config tiny_config(const std::string& run_name, int64_t max_steps) {
  std::filesystem::path corpus = make_corpus();
  Config c;
  c.run.dir = (std::filesystem::temp_directory_path() / run_name).string();
  c.run.threads = 1;
  c.run.device = "cpu";
  c.data.train = {(corpus / "train.src").string(), (corpus / "train.tgt").string(), "", ""};
  c.data.dev = {(corpus / "dev.src").string(), (corpus / "dev.tgt").string(), "", ""};
  c.data.tokenizer.vocab_size = 24;
  c.model.encoder.layers = c.model.decoder.layers = 1;
  c.model.encoder.d_model = c.model.decoder.d_model = 32;
  c.model.encoder.heads = c.model.decoder.heads = 2;
  c.model.encoder.ff = c.model.decoder.ff = 64;
  c.model.encoder.dropout = c.model.decoder.dropout = 0.1;  // exercises the RNG on resume
  c.training.max_steps = max_steps;
  c.training.batch_size = 200;
  c.training.lr = 0.003;
  c.training.warmup = 5;
  c.training.log_every = 1;
  c.training.validate_every = 5;
  c.training.early_stopping.patience = 0;
  c.decoding.batch_size = 16;
  validate(c, true);
  return c;
}

/// step -> loss of the "train" records of RUN_DIR/metrics.jsonl.
inline std::map<int64_t, double> train_losses(const std::string& run_dir) {
  std::map<int64_t, double> losses;
  std::ifstream in(std::filesystem::path(run_dir) / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "train") losses[j["step"].get<int64_t>()] = j["loss"].get<double>();
  }
  return losses;
}

}  // namespace tinynmt::test_runs
