#include "bench/bench_data.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>

#include "data/corpus.h"
#include "data/tokenizer.h"
#include "models/special_ids.h"
#include "util/process.h"

namespace tinynmt::bench {
namespace {

namespace fs = std::filesystem;

bool files_exist(const CorpusFiles& f) {
  if (!f.tsv.empty()) return fs::exists(f.tsv);
  return !f.src.empty() && !f.tgt.empty() && fs::exists(f.src) && fs::exists(f.tgt);
}

void keep_first(EncodedCorpus& c, int64_t n) {
  if (static_cast<int64_t>(c.size()) <= n) return;
  c.src.resize(n);
  c.tgt.resize(n);
  if (static_cast<int64_t>(c.origin.size()) > n) c.origin.resize(n);
}

}  // namespace

EncodedCorpus synthetic_corpus(int64_t pairs, int64_t vocab, uint64_t seed, int64_t max_length) {
  if (vocab <= kEosId + 1)
    throw std::invalid_argument(
        fmt::format("synthetic_corpus: vocabulary {} has no room for "
                    "ordinary ids (> {})",
                    vocab, kEosId));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> words(kSyntheticMeanWords, kSyntheticSdWords);
  std::normal_distribution<double> shift(0.0, 2.0);
  std::uniform_int_distribution<int64_t> id(kEosId + 1, vocab - 1);
  auto pieces = [](double w) {
    w = std::clamp(std::round(w), 1.0, 60.0);
    return std::max<int64_t>(1, std::llround(w * kSyntheticPiecesPerWord));
  };
  EncodedCorpus c;
  for (int64_t i = 0; i < pairs; ++i) {
    const double ws = words(rng);
    const int64_t ls = pieces(ws), lt = pieces(ws + shift(rng));
    if (max_length > 0 && (ls > max_length || lt > max_length)) {
      ++c.dropped_long;
      continue;
    }
    std::vector<int64_t> s(ls), t(lt);
    for (auto& x : s) x = id(rng);
    for (auto& x : t) x = id(rng);
    s.push_back(kEosId);
    c.src.push_back(std::move(s));
    c.tgt.push_back(std::move(t));
    c.origin.push_back(i);
  }
  return c;
}

BenchData load_data(const Config& cfg, int64_t dev_sentences) {
  BenchData d;
  std::optional<Tokenizer> tok;
  const bool joint = cfg.data.tokenizer.joint;
  if (Tokenizer::exists(cfg.run.dir, joint)) {
    tok = Tokenizer::load(cfg.run.dir, joint);
    d.run_dir_tokenizer = true;
    spdlog::info("  tokenizer: {} (run directory)", cfg.run.dir);
  }
  if (files_exist(cfg.data.train)) {
    ParallelText text = read_parallel(cfg.data.train);
    if (!tok) {
      TempDir tmp;
      spdlog::info("  tokenizer: training SentencePiece ({} pieces) on the fly in {}",
                   cfg.data.tokenizer.vocab_size, tmp.path());
      tok = Tokenizer::train_or_load(cfg.data.tokenizer, tmp.path(), text.src, text.tgt);
    }
    d.train = encode_corpus(*tok, text, cfg.data.max_length);
    d.train_kind = "real";
  }
  if (tok) {
    d.src_vocab = tok->src_vocab_size();
    d.tgt_vocab = tok->tgt_vocab_size();
  } else {
    d.src_vocab = d.tgt_vocab = cfg.data.tokenizer.vocab_size;
  }
  const int64_t synth_vocab = std::min(d.src_vocab, d.tgt_vocab);
  const auto seed = static_cast<uint64_t>(cfg.run.seed);
  if (d.train_kind.empty()) {
    d.train = synthetic_corpus(kSyntheticTrainPairs, synth_vocab, seed, cfg.data.max_length);
    d.train_kind = "synthetic";
  }
  if (d.train.size() == 0) throw std::runtime_error("no training pairs left after filtering");
  if (dev_sentences > 0) {
    // Decoding is measured on the test set (Multi30k test2016) when present, else the dev set.
    const bool use_test = files_exist(cfg.data.test);
    const CorpusFiles& decode_files = use_test ? cfg.data.test : cfg.data.dev;
    if (tok && files_exist(decode_files)) {
      d.dev = encode_corpus(*tok, read_parallel(decode_files), 0);
      d.dev_kind = use_test ? "real (test)" : "real (dev)";
      keep_first(d.dev, dev_sentences);
    } else {
      d.dev = synthetic_corpus(dev_sentences, synth_vocab, seed + 1, 0);
      d.dev_kind = "synthetic";
    }
  }
  return d;
}

}  // namespace tinynmt::bench
