#include "data/sentencepiece.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "data/spm_shim/spm_api.h"

namespace tinynmt {
namespace {

namespace fs = std::filesystem;

/// The shim's functions, resolved once.
struct Api {
  int (*train)(const char*, char*, int);
  void* (*load)(const char*, char*, int);
  void (*release)(void*);
  int (*encode_ids)(void*, const char*, int*, int);
  int (*encode_pieces)(void*, const char*, char*, int);
  int (*decode_ids)(void*, const int*, int, char*, int);
  int (*piece_size)(void*);
  int (*id_to_piece)(void*, int, char*, int);
  int (*piece_to_id)(void*, const char*);
};

template <typename F>
void resolve(void* h, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(h, name));
  if (!fn) throw std::runtime_error(std::string("libtinynmt_spm.so lacks ") + name);
}

const Api& api() {
  static const Api table = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TINYNMT_SPM_LIB")) candidates.emplace_back(env);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back((exe.parent_path() / "libtinynmt_spm.so").string());
      candidates.push_back((exe.parent_path() / ".." / "lib" / "libtinynmt_spm.so").string());
    }
#ifdef TINYNMT_SPM_BUILD_PATH
    candidates.emplace_back(TINYNMT_SPM_BUILD_PATH);
#endif
    std::string errors;
    for (const auto& c : candidates) {
      if (!fs::exists(c)) continue;
      // A separate link-map namespace: see data/spm_shim/spm_api.h.
      void* h = dlmopen(LM_ID_NEWLM, c.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        errors += std::string("; ") + dlerror();
        continue;
      }
      auto version = reinterpret_cast<int (*)()>(dlsym(h, "tn_spm_version"));
      if (!version || version() != kTinynmtSpmVersion) {
        errors += "; " + c + " has another interface version";
        continue;
      }
      Api a{};
      resolve(h, "tn_spm_train", a.train);
      resolve(h, "tn_spm_load", a.load);
      resolve(h, "tn_spm_release", a.release);
      resolve(h, "tn_spm_encode_ids", a.encode_ids);
      resolve(h, "tn_spm_encode_pieces", a.encode_pieces);
      resolve(h, "tn_spm_decode_ids", a.decode_ids);
      resolve(h, "tn_spm_piece_size", a.piece_size);
      resolve(h, "tn_spm_id_to_piece", a.id_to_piece);
      resolve(h, "tn_spm_piece_to_id", a.piece_to_id);
      return a;
    }
    throw std::runtime_error(
        "cannot load libtinynmt_spm.so (the SentencePiece module built next to the tinynmt "
        "executable; or set TINYNMT_SPM_LIB)" +
        errors);
  }();
  return table;
}

/// Calls fill(buf, cap) -> needed length, growing the buffer once if needed.
template <typename Fill>
bool read_string(Fill fill, std::string* out) {
  std::string buf(256, '\0');
  int n = fill(buf.data(), static_cast<int>(buf.size()));
  if (n < 0) return false;
  if (n > static_cast<int>(buf.size())) {
    buf.assign(n, '\0');
    n = fill(buf.data(), n);
    if (n < 0) return false;
  }
  buf.resize(n);
  *out = std::move(buf);
  return true;
}

}  // namespace

void sentencepiece_train(const std::string& args) {
  char err[2048] = {0};
  if (!api().train(args.c_str(), err, sizeof(err)))
    throw std::runtime_error(std::string("SentencePiece training failed: ") + err);
}

SentencePieceModel::SentencePieceModel(const std::string& path) : path_(path) {
  char err[2048] = {0};
  processor_ = api().load(path.c_str(), err, sizeof(err));
  if (!processor_)
    throw std::runtime_error(fmt::format("{}: cannot load SentencePiece model: {}", path, err));
}

SentencePieceModel::~SentencePieceModel() {
  if (processor_) api().release(processor_);
}

std::vector<int> SentencePieceModel::encode_ids(const std::string& text) const {
  std::vector<int> ids(text.size() + 8);
  int n = api().encode_ids(processor_, text.c_str(), ids.data(), static_cast<int>(ids.size()));
  if (n > static_cast<int>(ids.size())) {
    ids.resize(n);
    n = api().encode_ids(processor_, text.c_str(), ids.data(), n);
  }
  if (n < 0)
    throw std::runtime_error(fmt::format("{}: SentencePiece could not encode a line", path_));
  ids.resize(n);
  return ids;
}

std::vector<std::string> SentencePieceModel::encode_pieces(const std::string& text) const {
  std::string joined;
  if (!read_string(
          [&](char* b, int c) { return api().encode_pieces(processor_, text.c_str(), b, c); },
          &joined))
    throw std::runtime_error(fmt::format("{}: SentencePiece could not encode a line", path_));
  std::vector<std::string> pieces;
  if (joined.empty()) return pieces;
  size_t start = 0;
  for (size_t nl; (nl = joined.find('\n', start)) != std::string::npos; start = nl + 1)
    pieces.push_back(joined.substr(start, nl - start));
  pieces.push_back(joined.substr(start));
  return pieces;
}

std::string SentencePieceModel::decode_ids(const std::vector<int>& ids) const {
  std::string text;
  if (!read_string(
          [&](char* b, int c) {
            return api().decode_ids(processor_, ids.data(), static_cast<int>(ids.size()), b, c);
          },
          &text))
    throw std::runtime_error(fmt::format("{}: SentencePiece could not decode ids", path_));
  return text;
}

int SentencePieceModel::size() const { return api().piece_size(processor_); }

std::string SentencePieceModel::id_to_piece(int id) const {
  std::string piece;
  if (!read_string([&](char* b, int c) { return api().id_to_piece(processor_, id, b, c); }, &piece))
    throw std::out_of_range(fmt::format("{}: piece id {} out of range", path_, id));
  return piece;
}

int SentencePieceModel::piece_to_id(const std::string& piece) const {
  return api().piece_to_id(processor_, piece.c_str());
}

}  // namespace tinynmt
