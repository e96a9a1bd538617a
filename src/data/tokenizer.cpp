#include "data/tokenizer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "data/corpus.h"
#include "data/sentencepiece.h"
#include "models/special_ids.h"

namespace fs = std::filesystem;

namespace tinynmt {
namespace {

// A deterministic sample of at most `limit` sentences (order kept), so that training on a large
// corpus does not depend on SentencePiece's unseeded reservoir sampling.
std::vector<const std::string*> bounded_sample(const std::vector<const std::string*>& s,
                                               int64_t limit) {
  if (limit <= 0 || static_cast<int64_t>(s.size()) <= limit) return s;
  std::vector<size_t> idx(s.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::mt19937_64 rng(0x5eed5eedULL);
  for (int64_t i = 0; i < limit; ++i) {  // partial Fisher-Yates
    size_t j = i + rng() % (idx.size() - i);
    std::swap(idx[i], idx[j]);
  }
  idx.resize(limit);
  std::sort(idx.begin(), idx.end());
  std::vector<const std::string*> out;
  out.reserve(limit);
  for (size_t i : idx) out.push_back(s[i]);
  return out;
}

// Trains with SentencePiece's flag string: input = a one-sentence-a-line file, the model goes to
// `prefix`.model / .vocab. Returns "" or SentencePiece's error.
std::string run_trainer(const TokenizerConfig& cfg, const std::string& input,
                        const std::string& prefix, bool hard_limit) {
  unsigned threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  std::string args = fmt::format(
      "--input={} --model_prefix={} --model_type={} --vocab_size={} --character_coverage={} "
      "--input_sentence_size=0 --shuffle_input_sentence=false --hard_vocab_limit={} "
      "--pad_id={} --unk_id={} --bos_id={} --eos_id={} --pad_piece=<pad> --unk_piece=<unk> "
      "--bos_piece=<s> --eos_piece=</s> --num_threads={} --minloglevel=2",
      input, prefix, cfg.type, cfg.vocab_size, cfg.character_coverage,
      hard_limit ? "true" : "false", kPadId, kUnkId, kBosId, kEosId, threads);
  try {
    sentencepiece_train(args);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    return msg.empty() ? std::string("unknown SentencePiece error") : msg;
  }
  return {};
}

// A fresh folder for one training run (SentencePiece's flag string cannot hold spaces).
fs::path make_work_dir() {
  static std::atomic<int> counter{0};
  fs::path base = fs::temp_directory_path();
  fs::path dir = base / fmt::format("tinynmt_spm_{}_{}", ::getpid(), counter++);
  if (dir.string().find_first_of(" \t\n") != std::string::npos)
    throw DataError(
        fmt::format("{}: SentencePiece needs a temporary folder without spaces (set "
                    "TMPDIR)",
                    dir.string()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Moves `from` to `to` (copy + rename when they lie on different file systems).
void move_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (!ec) return;
  fs::path tmp = to;
  tmp += ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
  fs::remove(from);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SpmModel

SpmModel::SpmModel() = default;
SpmModel::~SpmModel() = default;
SpmModel::SpmModel(SpmModel&& o) noexcept = default;
SpmModel& SpmModel::operator=(SpmModel&& o) noexcept = default;

SpmModel SpmModel::load(const std::string& path) {
  SpmModel m;
  try {
    m.sp_ = std::make_unique<SentencePieceModel>(path);
  } catch (const std::exception& e) {
    throw DataError(e.what());
  }
  const char* expected[] = {"<pad>", "<unk>", "<s>", "</s>"};  // ids kPadId .. kEosId
  static_assert(kPadId == 0 && kUnkId == 1 && kBosId == 2 && kEosId == 3);
  for (int id = 0; id < 4; ++id) {
    std::string piece = id < m.sp_->size() ? m.sp_->id_to_piece(id) : std::string("(none)");
    if (piece != expected[id])
      throw DataError(fmt::format(
          "{}: SentencePiece model has piece '{}' at id {}, expected '{}' (tinynmt's fixed ids: "
          "pad 0, unk 1, bos 2, eos 3)",
          path, piece, id, expected[id]));
  }
  return m;
}

int64_t SpmModel::size() const { return sp_->size(); }

std::vector<int64_t> SpmModel::encode(const std::string& text) const {
  try {
    std::vector<int> ids = sp_->encode_ids(text);
    return std::vector<int64_t>(ids.begin(), ids.end());
  } catch (const std::exception& e) {
    throw DataError(std::string("SentencePiece encode failed: ") + e.what());
  }
}

std::vector<std::string> SpmModel::pieces(const std::string& text) const {
  try {
    return sp_->encode_pieces(text);
  } catch (const std::exception& e) {
    throw DataError(std::string("SentencePiece encode failed: ") + e.what());
  }
}

std::string SpmModel::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> keep;
  keep.reserve(ids.size());
  const int64_t n = size();
  for (int64_t id : ids) {
    if (id < 0 || id >= n)
      throw DataError(fmt::format("cannot decode id {}: vocabulary has {} pieces", id, n));
    if (id == kEosId) break;
    if (id == kPadId || id == kBosId) continue;
    keep.push_back(static_cast<int>(id));
  }
  try {
    return sp_->decode_ids(keep);
  } catch (const std::exception& e) {
    throw DataError(std::string("SentencePiece decode failed: ") + e.what());
  }
}

std::string SpmModel::id_to_piece(int64_t id) const {
  if (id < 0 || id >= size())
    throw DataError(fmt::format("piece id {} outside vocabulary of {} pieces", id, size()));
  return sp_->id_to_piece(static_cast<int>(id));
}

int64_t SpmModel::piece_to_id(const std::string& piece) const { return sp_->piece_to_id(piece); }

// ---------------------------------------------------------------------------------------------
// Training

void train_spm_model(const TokenizerConfig& cfg, const std::vector<const std::string*>& sentences,
                     const std::string& model_path) {
  if (cfg.type != "unigram" && cfg.type != "bpe")
    throw DataError(fmt::format(
        "data.tokenizer.type: '{}' is not a valid choice (choices: unigram, bpe)", cfg.type));
  if (sentences.empty())
    throw DataError(fmt::format("{}: no training sentences for SentencePiece", model_path));
  auto sample = bounded_sample(sentences, cfg.input_sentence_size);

  fs::path work = make_work_dir();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{work};
  std::string input = (work / "input.txt").string();
  {
    std::ofstream out(input, std::ios::binary);
    for (const std::string* s : sample) {
      std::string line = *s;
      std::replace(line.begin(), line.end(), '\n', ' ');
      out << line << '\n';
    }
    if (!out) throw DataError(fmt::format("{}: cannot write SentencePiece input", input));
  }
  std::string prefix = (work / "spm").string();

  auto vocab_error = [](const std::string& e) {
    return e.find("ocabulary size") != std::string::npos;
  };
  auto failure = [&](const std::string& e) {
    if (vocab_error(e))
      return DataError(fmt::format(
          "data.tokenizer.vocab_size: {} does not fit this training corpus ({} sentences): "
          "SentencePiece says: {}",
          cfg.vocab_size, sample.size(), e));
    return DataError(fmt::format(
        "{}: SentencePiece training failed (data.tokenizer: type {}, vocab_size {}): {}",
        model_path, cfg.type, cfg.vocab_size, e));
  };
  std::string e = run_trainer(cfg, input, prefix, /*hard_limit=*/true);
  if (!e.empty()) {
    bool too_high =
        e.find("too high") != std::string::npos || e.find("too large") != std::string::npos;
    if (!vocab_error(e) || !too_high) throw failure(e);
    spdlog::warn("SentencePiece: {}; retrying with hard_vocab_limit=false", e);
    e = run_trainer(cfg, input, prefix, /*hard_limit=*/false);
    if (!e.empty()) throw failure(e);
  }

  fs::path p(model_path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  fs::path vp = p;
  vp.replace_extension(".vocab");
  if (fs::exists(prefix + ".vocab")) move_file(prefix + ".vocab", vp);
  move_file(prefix + ".model", p);

  SpmModel m = SpmModel::load(model_path);
  if (m.size() < cfg.vocab_size)
    spdlog::warn("SentencePiece model {} has {} pieces, fewer than data.tokenizer.vocab_size={}",
                 model_path, m.size(), cfg.vocab_size);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

bool Tokenizer::exists(const std::string& run_dir, bool joint) {
  fs::path d(run_dir);
  if (joint) return fs::exists(d / kJointSpmModel);
  return fs::exists(d / kSrcSpmModel) && fs::exists(d / kTgtSpmModel);
}

Tokenizer Tokenizer::load(const std::string& run_dir, bool joint) {
  fs::path d(run_dir);
  Tokenizer t;
  t.joint_ = joint;
  if (joint) {
    t.src_ = std::make_shared<SpmModel>(SpmModel::load((d / kJointSpmModel).string()));
  } else {
    t.src_ = std::make_shared<SpmModel>(SpmModel::load((d / kSrcSpmModel).string()));
    t.tgt_ = std::make_shared<SpmModel>(SpmModel::load((d / kTgtSpmModel).string()));
  }
  return t;
}

Tokenizer Tokenizer::load(const std::string& run_dir) {
  if (exists(run_dir, true)) return load(run_dir, true);
  if (exists(run_dir, false)) return load(run_dir, false);
  throw DataError(fmt::format("{}: no SentencePiece model ({} or {} + {})", run_dir, kJointSpmModel,
                              kSrcSpmModel, kTgtSpmModel));
}

Tokenizer Tokenizer::train_or_load(const TokenizerConfig& cfg, const std::string& run_dir,
                                   const std::vector<std::string>& train_src,
                                   const std::vector<std::string>& train_tgt, bool* trained) {
  fs::path d(run_dir);
  if (exists(run_dir, cfg.joint)) {
    spdlog::info("reusing SentencePiece model(s) in {}", run_dir);
    if (trained) *trained = false;
    return load(run_dir, cfg.joint);
  }
  auto ptrs = [](const std::vector<std::string>& v) {
    std::vector<const std::string*> p;
    p.reserve(v.size());
    for (const auto& s : v) p.push_back(&s);
    return p;
  };
  if (cfg.joint) {
    auto all = ptrs(train_src);
    for (const auto& s : train_tgt) all.push_back(&s);
    spdlog::info("training joint SentencePiece {} model (vocab {}) on {} sentences", cfg.type,
                 cfg.vocab_size, all.size());
    train_spm_model(cfg, all, (d / kJointSpmModel).string());
  } else {
    spdlog::info("training separate SentencePiece {} models (vocab {}) on {} + {} sentences",
                 cfg.type, cfg.vocab_size, train_src.size(), train_tgt.size());
    train_spm_model(cfg, ptrs(train_src), (d / kSrcSpmModel).string());
    train_spm_model(cfg, ptrs(train_tgt), (d / kTgtSpmModel).string());
  }
  if (trained) *trained = true;
  return load(run_dir, cfg.joint);
}

std::vector<int64_t> Tokenizer::encode_src(const std::string& text) const {
  auto ids = src().encode(text);
  ids.push_back(kEosId);
  return ids;
}

std::vector<int64_t> Tokenizer::encode_tgt(const std::string& text) const {
  return tgt().encode(text);
}

std::vector<int64_t> make_tgt_in(const std::vector<int64_t>& y) {
  std::vector<int64_t> v;
  v.reserve(y.size() + 1);
  v.push_back(kBosId);
  v.insert(v.end(), y.begin(), y.end());
  return v;
}

std::vector<int64_t> make_tgt_out(const std::vector<int64_t>& y) {
  std::vector<int64_t> v(y);
  v.push_back(kEosId);
  return v;
}

}  // namespace tinynmt
