#include "data/sentencepiece.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
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

// Where the module is looked for: $TINYNMT_SPM_LIB when set (and then only there), otherwise
// next to the executable (the build folder) and in ../lib/tinynmt/ beside its bin/ folder (an
// installed prefix, e.g. /usr/bin/tinynmt and /usr/lib/tinynmt/libtinynmt_spm.so).
std::vector<std::string> module_candidates() {
  if (const char* env = std::getenv("TINYNMT_SPM_LIB"); env && *env) return {env};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return {(exe.parent_path() / "libtinynmt_spm.so").string(),
          (exe.parent_path().parent_path() / "lib" / "tinynmt" / "libtinynmt_spm.so").string()};
}

// Opens one candidate; nullopt with the reason appended to `errors` when it does not load.
std::optional<Api> open_module(const std::string& c, std::string& errors) {
  // A separate link-map namespace: see data/spm_shim/spm_api.h.
  void* h = dlmopen(LM_ID_NEWLM, c.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    errors += std::string("; ") + dlerror();
    return std::nullopt;
  }
  auto version = reinterpret_cast<int (*)()>(dlsym(h, "tn_spm_version"));
  if (!version || version() != kTinynmtSpmVersion) {
    errors += "; " + c + " has another interface version";
    return std::nullopt;
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

const Api& api() {
  static const Api table = [] {
    const std::vector<std::string> candidates = module_candidates();
    std::string errors, looked;
    for (const auto& c : candidates) {
      looked += (looked.empty() ? "" : ", ") + c;
      if (!fs::exists(c)) continue;
      if (auto a = open_module(c, errors)) return *a;
    }
    const bool from_env = std::getenv("TINYNMT_SPM_LIB") && *std::getenv("TINYNMT_SPM_LIB");
    throw std::runtime_error(fmt::format(
        "cannot load the SentencePiece module libtinynmt_spm.so: looked in {}{} ({}){}",
        looked.empty() ? "no place" : looked, from_env ? " from TINYNMT_SPM_LIB" : "",
        from_env ? "unset TINYNMT_SPM_LIB to look next to the executable and in ../lib/tinynmt/"
                 : "install it next to the executable or in ../lib/tinynmt/, or set "
                   "TINYNMT_SPM_LIB to its path",
        errors));
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
