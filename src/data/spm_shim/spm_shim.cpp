// libtinynmt_spm.so: SentencePiece behind a plain C interface (see spm_api.h for why).
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "data/spm_shim/spm_api.h"

#define TN_EXPORT __attribute__((visibility("default")))

namespace {
using sentencepiece::SentencePieceProcessor;

void copy_error(const std::string& msg, char* err, int cap) {
  if (!err || cap <= 0) return;
  size_t n = std::min(msg.size(), static_cast<size_t>(cap - 1));
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

int copy_out(const std::string& s, char* buf, int cap) {
  if (buf && cap > 0) std::memcpy(buf, s.data(), std::min(s.size(), static_cast<size_t>(cap)));
  return static_cast<int>(s.size());
}

SentencePieceProcessor* sp(void* h) { return static_cast<SentencePieceProcessor*>(h); }
}  // namespace

extern "C" {

TN_EXPORT int tn_spm_version(void) { return kTinynmtSpmVersion; }

TN_EXPORT int tn_spm_train(const char* args, char* err, int err_cap) {
  auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) {
    copy_error(status.ToString(), err, err_cap);
    return 0;
  }
  return 1;
}

TN_EXPORT void* tn_spm_load(const char* path, char* err, int err_cap) {
  auto* p = new SentencePieceProcessor();
  auto status = p->Load(path);
  if (!status.ok()) {
    copy_error(status.ToString(), err, err_cap);
    delete p;
    return nullptr;
  }
  return p;
}

TN_EXPORT void tn_spm_release(void* h) { delete sp(h); }

TN_EXPORT int tn_spm_encode_ids(void* h, const char* text, int* ids, int cap) {
  std::vector<int> out;
  if (!sp(h)->Encode(text, &out).ok()) return -1;
  if (ids) std::copy_n(out.begin(), std::min<size_t>(out.size(), std::max(cap, 0)), ids);
  return static_cast<int>(out.size());
}

TN_EXPORT int tn_spm_encode_pieces(void* h, const char* text, char* buf, int cap) {
  std::vector<std::string> pieces;
  if (!sp(h)->Encode(text, &pieces).ok()) return -1;
  std::string joined;
  for (size_t i = 0; i < pieces.size(); ++i) joined += (i ? "\n" : "") + pieces[i];
  return copy_out(joined, buf, cap);
}

TN_EXPORT int tn_spm_decode_ids(void* h, const int* ids, int n, char* buf, int cap) {
  std::string text;
  if (!sp(h)->Decode(std::vector<int>(ids, ids + n), &text).ok()) return -1;
  return copy_out(text, buf, cap);
}

TN_EXPORT int tn_spm_piece_size(void* h) { return sp(h)->GetPieceSize(); }

TN_EXPORT int tn_spm_id_to_piece(void* h, int id, char* buf, int cap) {
  if (id < 0 || id >= sp(h)->GetPieceSize()) return -1;
  return copy_out(sp(h)->IdToPiece(id), buf, cap);
}

TN_EXPORT int tn_spm_piece_to_id(void* h, const char* piece) { return sp(h)->PieceToId(piece); }

}  // extern "C"
