// SentencePiece through the dlopen'ed shim, in the same process as LibTorch: train a tiny model,
// encode, decode back, and run a torch op afterwards (the two used to crash together).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "data/sentencepiece.h"

TEST(SentencePiece, TrainEncodeDecodeRoundTripNextToTorch) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "tinynmt_spm_test";
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "corpus.txt");
    for (int i = 0; i < 200; ++i)
      f << "ein Hund läuft über die Wiese " << i % 7 << "\nthe dog runs across the meadow\n";
  }
  tinynmt::sentencepiece_train("--input=" + (dir / "corpus.txt").string() +
                               " --model_prefix=" + (dir / "m").string() +
                               " --vocab_size=40 --model_type=unigram --pad_id=0 --unk_id=1"
                               " --bos_id=2 --eos_id=3 --hard_vocab_limit=false --minloglevel=2");
  tinynmt::SentencePieceModel sp((dir / "m.model").string());
  EXPECT_EQ(sp.id_to_piece(0), "<pad>");
  EXPECT_EQ(sp.piece_to_id("</s>"), 3);
  auto ids = sp.encode_ids("ein Hund läuft über die Wiese");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(sp.decode_ids(ids), "ein Hund läuft über die Wiese");
  auto t = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()));
  EXPECT_EQ(t.numel(), static_cast<int64_t>(ids.size()));
  EXPECT_THROW(tinynmt::SentencePieceModel((dir / "missing.model").string()), std::runtime_error);
}
