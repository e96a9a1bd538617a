// libtinynmt_spm.so: the only code linked against SentencePiece (see spm_bridge.h for why).
// Named .cc so that the tinynmt_core glob (src/*.cpp) leaves it out.
#include "data/spm_bridge.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

namespace {

using sentencepiece::SentencePieceProcessor;

const SentencePieceProcessor* cp(const void* sp) {
  return static_cast<const SentencePieceProcessor*>(sp);
}
SentencePieceProcessor* mp(void* sp) { return static_cast<SentencePieceProcessor*>(sp); }

std::string err(const sentencepiece::util::Status& st) {
  if (st.ok()) return {};
  std::string s = st.ToString();
  return s.empty() ? std::string("unknown SentencePiece error") : s;
}

// Feeds in-memory sentences to the trainer (no temporary corpus file).
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

void* create() { return new SentencePieceProcessor(); }
void destroy(void* sp) { delete mp(sp); }
std::string load(void* sp, const std::string& path) { return err(mp(sp)->Load(path)); }
std::string load_serialized(void* sp, const std::string& proto) {
  return err(mp(sp)->LoadFromSerializedProto(proto));
}
std::string encode_ids(const void* sp, const std::string& text, std::vector<int>* ids) {
  return err(cp(sp)->Encode(text, ids));
}
std::string encode_pieces(const void* sp, const std::string& text,
                          std::vector<std::string>* pieces) {
  return err(cp(sp)->Encode(text, pieces));
}
std::string decode_ids(const void* sp, const std::vector<int>& ids, std::string* text) {
  return err(cp(sp)->Decode(ids, text));
}
int piece_size(const void* sp) { return cp(sp)->GetPieceSize(); }
std::string id_to_piece(const void* sp, int id) { return cp(sp)->IdToPiece(id); }
int piece_to_id(const void* sp, const std::string& piece) { return cp(sp)->PieceToId(piece); }
float score(const void* sp, int id) { return cp(sp)->GetScore(id); }
void special_ids(const void* sp, int* pad, int* unk, int* bos, int* eos) {
  *pad = cp(sp)->pad_id();
  *unk = cp(sp)->unk_id();
  *bos = cp(sp)->bos_id();
  *eos = cp(sp)->eos_id();
}
std::string train(const std::unordered_map<std::string, std::string>& args,
                  const std::vector<const std::string*>& sentences, std::string* model_proto) {
  VectorIterator it(sentences);
  return err(sentencepiece::SentencePieceTrainer::Train(args, &it, model_proto));
}

const tinynmt::spm_bridge::Api kApi = {
    tinynmt::spm_bridge::kApiVersion,
    create,
    destroy,
    load,
    load_serialized,
    encode_ids,
    encode_pieces,
    decode_ids,
    piece_size,
    id_to_piece,
    piece_to_id,
    score,
    special_ids,
    train,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const tinynmt::spm_bridge::Api*
tinynmt_spm_bridge_api() {
  return &kApi;
}
