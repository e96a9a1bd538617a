// SentencePiece (Kudo & Richardson 2018) for tinynmt: training and a processor, loaded through the
// libtinynmt_spm.so shim (see data/spm_shim/spm_api.h for why it is not linked directly).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tinynmt {

/// Trains a model: `args` is SentencePieceTrainer's flag string
/// ("--input=F --model_prefix=P --vocab_size=N ..."). Throws std::runtime_error with
/// SentencePiece's message on failure.
void sentencepiece_train(const std::string& args);

/// A loaded SentencePiece model. Thread-compatible (const methods may run concurrently).
class SentencePieceModel {
 public:
  /// Loads `path`; throws std::runtime_error naming the file on failure.
  explicit SentencePieceModel(const std::string& path);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  std::vector<int> encode_ids(const std::string& text) const;
  std::vector<std::string> encode_pieces(const std::string& text) const;
  /// Detokenised text.
  std::string decode_ids(const std::vector<int>& ids) const;
  int size() const;
  std::string id_to_piece(int id) const;
  int piece_to_id(const std::string& piece) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* processor_ = nullptr;
};

}  // namespace tinynmt
