#include "data/tokenizer.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "data/corpus.h"
#include "data/spm_bridge.h"
#include "models/special_ids.h"

namespace fs = std::filesystem;

namespace tinynmt {
namespace {

constexpr const char* kBridgeName = "libtinynmt_spm.so";

// Candidate paths of the bridge library: $TINYNMT_SPM_LIB, the build tree (compile-time
// TINYNMT_SPM_LIB), and next to the running executable.
std::vector<std::string> bridge_candidates() {
  std::vector<std::string> c;
  if (const char* env = std::getenv("TINYNMT_SPM_LIB"); env && *env) c.emplace_back(env);
#ifdef TINYNMT_SPM_LIB
  c.emplace_back(TINYNMT_SPM_LIB);
#endif
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) c.push_back((exe.parent_path() / kBridgeName).string());
  c.emplace_back(kBridgeName);  // the dynamic linker's search path
  return c;
}

// Loads libtinynmt_spm.so once, privately (RTLD_LOCAL) and binding to its own dependencies first
// (RTLD_DEEPBIND), so SentencePiece's bundled protobuf never meets libtorch's libprotobuf.
const spm_bridge::Api& bridge() {
  static const spm_bridge::Api* api = nullptr;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    for (const auto& path : bridge_candidates()) {
      if (path.find('/') != std::string::npos && !fs::exists(path)) continue;
      void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (!h) {
        const char* e = ::dlerror();
        tried += fmt::format(" [{}: {}]", path, e ? e : "?");
        continue;
      }
      auto fn =
          reinterpret_cast<const spm_bridge::Api* (*)()>(::dlsym(h, "tinynmt_spm_bridge_api"));
      if (!fn || !fn() || fn()->version != spm_bridge::kApiVersion) {
        tried += fmt::format(" [{}: not a matching tinynmt SentencePiece bridge]", path);
        continue;
      }
      api = fn();
      return;
    }
    error = fmt::format(
        "cannot load the SentencePiece bridge {} (set TINYNMT_SPM_LIB to its "
        "path):{}",
        kBridgeName, tried);
  });
  if (!api) throw DataError(error);
  return *api;
}

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

// Returns "" or SentencePiece's error.
std::string run_trainer(const TokenizerConfig& cfg,
                        const std::vector<const std::string*>& sentences, bool hard_limit,
                        std::string* model_proto) {
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
      {"minloglevel", "2"},  // quiet: errors come back as a status
  };
  return bridge().train(args, sentences, model_proto);
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
SpmModel::~SpmModel() {
  if (sp_) bridge().destroy(sp_);
}
SpmModel::SpmModel(SpmModel&& o) noexcept : sp_(o.sp_) { o.sp_ = nullptr; }
SpmModel& SpmModel::operator=(SpmModel&& o) noexcept {
  if (this != &o) {
    if (sp_) bridge().destroy(sp_);
    sp_ = o.sp_;
    o.sp_ = nullptr;
  }
  return *this;
}

SpmModel SpmModel::load(const std::string& path) {
  const auto& api = bridge();
  SpmModel m;
  m.sp_ = api.create();
  std::string e = api.load(m.sp_, path);
  if (!e.empty()) throw DataError(fmt::format("{}: cannot load SentencePiece model: {}", path, e));
  int pad, unk, bos, eos;
  api.special_ids(m.sp_, &pad, &unk, &bos, &eos);
  if (pad != kPadId || unk != kUnkId || bos != kBosId || eos != kEosId)
    throw DataError(fmt::format(
        "{}: SentencePiece model has special ids pad={} unk={} bos={} eos={}, expected {} {} {} {}",
        path, pad, unk, bos, eos, kPadId, kUnkId, kBosId, kEosId));
  return m;
}

int64_t SpmModel::size() const { return bridge().piece_size(sp_); }

std::vector<int64_t> SpmModel::encode(const std::string& text) const {
  std::vector<int> ids;
  std::string e = bridge().encode_ids(sp_, text, &ids);
  if (!e.empty()) throw DataError("SentencePiece encode failed: " + e);
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<std::string> SpmModel::pieces(const std::string& text) const {
  std::vector<std::string> p;
  std::string e = bridge().encode_pieces(sp_, text, &p);
  if (!e.empty()) throw DataError("SentencePiece encode failed: " + e);
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
  std::string e = bridge().decode_ids(sp_, keep, &text);
  if (!e.empty()) throw DataError("SentencePiece decode failed: " + e);
  return text;
}

std::string SpmModel::id_to_piece(int64_t id) const {
  if (id < 0 || id >= size())
    throw DataError(fmt::format("piece id {} outside vocabulary of {} pieces", id, size()));
  return bridge().id_to_piece(sp_, static_cast<int>(id));
}

int64_t SpmModel::piece_to_id(const std::string& piece) const {
  return bridge().piece_to_id(sp_, piece);
}

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
  std::string e = run_trainer(cfg, sample, /*hard_limit=*/true, &proto);
  if (!e.empty()) {
    bool too_high =
        e.find("too high") != std::string::npos || e.find("too large") != std::string::npos;
    if (!vocab_error(e) || !too_high) throw failure(e);
    spdlog::warn("SentencePiece: {}; retrying with hard_vocab_limit=false", e);
    proto.clear();
    e = run_trainer(cfg, sample, /*hard_limit=*/false, &proto);
    if (!e.empty()) throw failure(e);
  }
  fs::path p(model_path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  write_file_atomic(model_path, proto);

  // A human-readable vocabulary next to the model: piece<TAB>score, line i = id i.
  const auto& api = bridge();
  void* sp = api.create();
  if (api.load_serialized(sp, proto).empty()) {
    const int n = api.piece_size(sp);
    std::string vocab;
    for (int i = 0; i < n; ++i)
      vocab += fmt::format("{}\t{}\n", api.id_to_piece(sp, i), api.score(sp, i));
    fs::path vp = p;
    vp.replace_extension(".vocab");
    write_file_atomic(vp.string(), vocab);
    if (n < cfg.vocab_size)
      spdlog::warn("SentencePiece model {} has {} pieces, fewer than data.tokenizer.vocab_size={}",
                   model_path, n, cfg.vocab_size);
  }
  api.destroy(sp);
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
