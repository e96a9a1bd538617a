#include "data/tokenizer.h"

#include <fmt/format.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <unordered_map>

#include "data/corpus.h"
#include "models/special_ids.h"

namespace fs = std::filesystem;

namespace tinynmt {
namespace {

// Feeds in-memory sentences to SentencePiece's trainer (no temporary corpus file).
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<const std::string*>& s) : s_(s) {}
  bool done() const override { return i_ >= s_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return *s_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<const std::string*>& s_;
  size_t i_ = 0;
};

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

sentencepiece::util::Status run_trainer(const TokenizerConfig& cfg,
                                        const std::vector<const std::string*>& sentences,
                                        bool hard_limit, std::string* model_proto) {
  unsigned threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  std::unordered_map<std::string, std::string> args = {
      {"model_type", cfg.type},
      {"vocab_size", std::to_string(cfg.vocab_size)},
      {"character_coverage", fmt::format("{}", cfg.character_coverage)},
      {"input_sentence_size", "0"},  // already bounded by bounded_sample()
      {"shuffle_input_sentence", "false"},
      {"hard_vocab_limit", hard_limit ? "true" : "false"},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", std::to_string(kBosId)},
      {"eos_id", std::to_string(kEosId)},
      {"pad_piece", "<pad>"},
      {"unk_piece", "<unk>"},
      {"bos_piece", "<s>"},
      {"eos_piece", "</s>"},
      {"num_threads", std::to_string(threads)},
      {"model_prefix", "unused"},  // the model comes back serialised, nothing is written
      {"minloglevel", "2"},        // quiet: errors come back as a Status
  };
  VectorIterator it(sentences);
  return sentencepiece::SentencePieceTrainer::Train(args, &it, model_proto);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(fmt::format("{}: cannot write file", tmp));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw DataError(fmt::format("{}: write failed", tmp));
  }
  fs::rename(tmp, path);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SpmModel

SpmModel::SpmModel() = default;
SpmModel::~SpmModel() = default;
SpmModel::SpmModel(SpmModel&&) noexcept = default;
SpmModel& SpmModel::operator=(SpmModel&&) noexcept = default;

SpmModel SpmModel::load(const std::string& path) {
  SpmModel m;
  m.sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto st = m.sp_->Load(path);
  if (!st.ok())
    throw DataError(fmt::format("{}: cannot load SentencePiece model: {}", path, st.ToString()));
  if (m.sp_->pad_id() != kPadId || m.sp_->unk_id() != kUnkId || m.sp_->bos_id() != kBosId ||
      m.sp_->eos_id() != kEosId)
    throw DataError(fmt::format(
        "{}: SentencePiece model has special ids pad={} unk={} bos={} eos={}, expected {} {} {} {}",
        path, m.sp_->pad_id(), m.sp_->unk_id(), m.sp_->bos_id(), m.sp_->eos_id(), kPadId, kUnkId,
        kBosId, kEosId));
  return m;
}

int64_t SpmModel::size() const { return sp_->GetPieceSize(); }

std::vector<int64_t> SpmModel::encode(const std::string& text) const {
  std::vector<int> ids;
  auto st = sp_->Encode(text, &ids);
  if (!st.ok()) throw DataError("SentencePiece encode failed: " + st.ToString());
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<std::string> SpmModel::pieces(const std::string& text) const {
  std::vector<std::string> p;
  auto st = sp_->Encode(text, &p);
  if (!st.ok()) throw DataError("SentencePiece encode failed: " + st.ToString());
  return p;
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
  std::string text;
  auto st = sp_->Decode(keep, &text);
  if (!st.ok()) throw DataError("SentencePiece decode failed: " + st.ToString());
  return text;
}

std::string SpmModel::id_to_piece(int64_t id) const {
  if (id < 0 || id >= size())
    throw DataError(fmt::format("piece id {} outside vocabulary of {} pieces", id, size()));
  return sp_->IdToPiece(static_cast<int>(id));
}

int64_t SpmModel::piece_to_id(const std::string& piece) const { return sp_->PieceToId(piece); }

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
  std::string proto;
  auto st = run_trainer(cfg, sample, /*hard_limit=*/true, &proto);
  if (!st.ok()) {
    std::string first = st.ToString();
    spdlog::warn("SentencePiece training with vocab_size={} failed ({}); retrying with "
                 "hard_vocab_limit=false",
                 cfg.vocab_size, first);
    proto.clear();
    st = run_trainer(cfg, sample, /*hard_limit=*/false, &proto);
    if (!st.ok())
      throw DataError(fmt::format(
          "data.tokenizer.vocab_size: {} does not fit this training corpus ({} sentences): "
          "SentencePiece says: {}",
          cfg.vocab_size, sample.size(), st.ToString()));
  }
  fs::path p(model_path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  write_file_atomic(model_path, proto);

  // A human-readable vocabulary next to the model: piece<TAB>score, line i = id i.
  sentencepiece::SentencePieceProcessor sp;
  if (sp.LoadFromSerializedProto(proto).ok()) {
    std::string vocab;
    for (int i = 0; i < sp.GetPieceSize(); ++i)
      vocab += fmt::format("{}\t{}\n", sp.IdToPiece(i), sp.GetScore(i));
    fs::path vp = p;
    vp.replace_extension(".vocab");
    write_file_atomic(vp.string(), vocab);
    if (sp.GetPieceSize() < cfg.vocab_size)
      spdlog::warn("SentencePiece model {} has {} pieces, fewer than data.tokenizer.vocab_size={}",
                   model_path, sp.GetPieceSize(), cfg.vocab_size);
  }
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
  throw DataError(fmt::format("{}: no SentencePiece model ({} or {} + {})", run_dir,
                              kJointSpmModel, kSrcSpmModel, kTgtSpmModel));
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
