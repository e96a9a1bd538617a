// The boundary between tinynmt and the SentencePiece library.
//
// Why a bridge: Debian's libsentencepiece.so bundles its own copy of protobuf-lite and exports
// its symbols; libtorch loads the system libprotobuf.so. With both in the global symbol scope,
// libprotobuf's static initialisers bind to SentencePiece's protobuf copy and the process
// segfaults before main() (the known clash: google/sentencepiece#723). So SentencePiece is
// linked only into the small shared library libtinynmt_spm.so (src/data/spm_bridge.cc), which
// src/data/tokenizer.cpp loads with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): SentencePiece then binds
// to its own protobuf, and nothing else sees it. This header is the bridge's whole interface;
// it uses only standard C++ types (both sides share the process's libstdc++).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace tinynmt {
namespace spm_bridge {

constexpr int kApiVersion = 1;

/// Function table. Functions returning std::string return "" on success, else the error text.
struct Api {
  int version;
  void* (*create)();  ///< a new, empty sentencepiece::SentencePieceProcessor
  void (*destroy)(void* sp);
  std::string (*load)(void* sp, const std::string& path);
  std::string (*load_serialized)(void* sp, const std::string& model_proto);
  std::string (*encode_ids)(const void* sp, const std::string& text, std::vector<int>* ids);
  std::string (*encode_pieces)(const void* sp, const std::string& text,
                               std::vector<std::string>* pieces);
  std::string (*decode_ids)(const void* sp, const std::vector<int>& ids, std::string* text);
  int (*piece_size)(const void* sp);
  std::string (*id_to_piece)(const void* sp, int id);
  int (*piece_to_id)(const void* sp, const std::string& piece);
  float (*score)(const void* sp, int id);
  void (*special_ids)(const void* sp, int* pad, int* unk, int* bos, int* eos);
  /// SentencePieceTrainer::Train(args, iterator over `sentences`, model_proto).
  std::string (*train)(const std::unordered_map<std::string, std::string>& args,
                       const std::vector<const std::string*>& sentences, std::string* model_proto);
};

}  // namespace spm_bridge
}  // namespace tinynmt

/// The bridge library's only exported symbol.
extern "C" const tinynmt::spm_bridge::Api* tinynmt_spm_bridge_api();
