// The C interface exported by the SentencePiece shim (libtinynmt_spm.so).
//
// Why a shim: Debian's libsentencepiece.so bundles its own protobuf-lite 3.14 and exports its
// symbols, while LibTorch loads the system libprotobuf.so.32 (3.21). In one symbol namespace the
// dynamic linker binds one library's protobuf calls to the other's copy: the program crashes at
// start-up or SentencePiece refuses to run ("compiled against version 3.14.0"). RTLD_DEEPBIND is
// no cure either (it breaks libstdc++'s copy-relocated std::cerr). So tinynmt loads this module
// with dlmopen(LM_ID_NEWLM): SentencePiece, its protobuf and its own C++ runtime live in a
// separate link-map namespace. Only plain C types cross the boundary; buffers are the caller's.
#pragma once

extern "C" {

/// Version of this interface.
int tn_spm_version(void);
/// SentencePieceTrainer::Train(args). Returns 1 on success; else 0 and the message in err.
int tn_spm_train(const char* args, char* err, int err_cap);
/// Loads a model. Returns a handle, or null with the message in err.
void* tn_spm_load(const char* path, char* err, int err_cap);
void tn_spm_release(void* handle);
/// Encodes text to ids. Returns the number of ids (writes min(n, cap)); -1 on failure.
int tn_spm_encode_ids(void* handle, const char* text, int* ids, int cap);
/// Encodes text to pieces joined by '\n'. Returns the length needed (writes at most cap bytes,
/// no terminator); -1 on failure.
int tn_spm_encode_pieces(void* handle, const char* text, char* buf, int cap);
/// Decodes ids to detokenised text. Returns the length needed (writes at most cap bytes); -1 on
/// failure.
int tn_spm_decode_ids(void* handle, const int* ids, int n, char* buf, int cap);
int tn_spm_piece_size(void* handle);
/// Returns the length needed, -1 if id is out of range.
int tn_spm_id_to_piece(void* handle, int id, char* buf, int cap);
int tn_spm_piece_to_id(void* handle, const char* piece);
}

constexpr int kTinynmtSpmVersion = 2;
