// The data `tinynmt bench` trains and decodes on: a config's real corpus as ids when its files
// exist, otherwise synthetic pairs with a Multi30k-like length distribution.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "data/batching.h"

namespace tinynmt::bench {

/// Mean and standard deviation (in words) of the synthetic sentence lengths, after Multi30k's
/// training set (29,000 pairs; German about 12 and English about 13 words a sentence).
constexpr double kSyntheticMeanWords = 13.0;
constexpr double kSyntheticSdWords = 4.0;
/// Subword pieces per word assumed for the synthetic pairs (an 8k SentencePiece vocabulary
/// splits a few words of a Multi30k sentence).
constexpr double kSyntheticPiecesPerWord = 1.2;
/// Multi30k's training set size: the synthetic training corpus has as many pairs.
constexpr int64_t kSyntheticTrainPairs = 29000;

/// `pairs` synthetic sentence pairs: source length w_s ~ N(13, 4) words, target length
/// w_t = w_s + N(0, 2) words, each clamped to [1, 60] and converted to pieces by
/// kSyntheticPiecesPerWord (rounded, >= 1), pairs longer than max_length pieces (> 0) dropped.
/// Ids are uniform in [4, vocab) (no special ids); src rows end in EOS, tgt rows are y, as
/// encode_corpus() makes them. Deterministic in `seed`. Throws std::invalid_argument if
/// vocab <= 4.
EncodedCorpus synthetic_corpus(int64_t pairs, int64_t vocab, uint64_t seed, int64_t max_length);

/// Training and dev data of one config, as ids.
struct BenchData {
  EncodedCorpus train, dev;
  int64_t src_vocab = 0, tgt_vocab = 0;
  std::string train_kind, dev_kind;  // real | synthetic
  bool run_dir_tokenizer = false;    // the run directory's SentencePiece model was used
};

/// Training and dev data of `cfg`, as ids. Tokenizer: the run directory's SentencePiece
/// model(s) when present, else one trained on the fly into a temporary directory when the
/// training files exist. Training pairs: data.train (longer than data.max_length pieces dropped)
/// or kSyntheticTrainPairs synthetic ones. Dev: the first `dev_sentences` of data.test (else
/// data.dev) when there is a tokenizer and the files exist, else synthetic; none when
/// `dev_sentences` is 0. Throws DataError/std::runtime_error from reading, tokenising, or when no
/// training pair is left.
BenchData load_data(const Config& cfg, int64_t dev_sentences);

}  // namespace tinynmt::bench
