// Length filtering and batching: token-budget batches bucketed by length for training, and
// length-sorted sentence batches for decoding.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "data/corpus.h"
#include "data/tokenizer.h"

namespace tinynmt {

/// A parallel corpus as ids. src[i] = pieces + EOS; tgt[i] = y (pieces, no BOS/EOS).
struct EncodedCorpus {
  std::vector<std::vector<int64_t>> src;
  std::vector<std::vector<int64_t>> tgt;
  std::vector<int64_t> origin;  ///< index of each kept pair in the ParallelText it came from
  int64_t dropped_long = 0;     ///< pairs with more than max_length pieces on a side
  int64_t dropped_empty = 0;    ///< pairs with 0 pieces on a side
  size_t size() const { return src.size(); }
  /// Tensor lengths: src ids (EOS included) and target length |y| + 1 (= tgt_in/tgt_out length).
  std::vector<int64_t> src_lengths() const;
  std::vector<int64_t> tgt_lengths() const;
};

/// Encodes `text` with `tok` and keeps pairs with 1..max_length pieces on both sides (EOS/BOS
/// not counted); max_length <= 0 keeps every non-empty pair. The caller logs the drop counts.
EncodedCorpus encode_corpus(const Tokenizer& tok, const ParallelText& text, int64_t max_length);

/// Indices of pairs with 1..max_length pieces on both sides. src ids may end in EOS (not
/// counted); tgt ids are y. max_length <= 0 means no upper limit.
std::vector<int64_t> filter_by_length(const std::vector<std::vector<int64_t>>& src,
                                      const std::vector<std::vector<int64_t>>& tgt,
                                      int64_t max_length);

/// One batch as tensors (CPU, int64), padded with kPadId.
struct Batch {
  torch::Tensor src;             ///< [B, S] source ids, each row ends in EOS before its padding
  torch::Tensor src_mask;        ///< [B, S] bool, true = real token (unsqueeze(1) -> [B, 1, S])
  torch::Tensor src_lengths;     ///< [B] int64, tokens per row (EOS included)
  torch::Tensor tgt_in;          ///< [B, T] BOS y1..yn; undefined for decoding batches
  torch::Tensor tgt_out;         ///< [B, T] y1..yn EOS; undefined for decoding batches
  int64_t num_src_tokens = 0;    ///< non-pad source tokens
  int64_t num_tgt_tokens = 0;    ///< non-pad tokens of tgt_out (the loss normaliser)
  std::vector<int64_t> indices;  ///< row r is example indices[r] of the corpus
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
  /// Copy of the tensors on `device` (non_blocking where possible).
  Batch to(const torch::Device& device) const;
};

/// Builds the tensors for examples `indices` of (src, tgt). With tgt == nullptr (decoding) only
/// the source tensors are filled. Throws std::invalid_argument for an empty index list.
Batch make_batch(const std::vector<std::vector<int64_t>>& src,
                 const std::vector<std::vector<int64_t>>* tgt, const std::vector<int64_t>& indices);
inline Batch make_batch(const EncodedCorpus& c, const std::vector<int64_t>& indices) {
  return make_batch(c.src, &c.tgt, indices);
}

/// A plan: batches of example indices.
using BatchPlan = std::vector<std::vector<int64_t>>;

/// Padding of a plan: slots = rows x max length per batch, tokens = real tokens.
struct PaddingStats {
  int64_t batches = 0;
  int64_t src_tokens = 0, src_slots = 0;
  int64_t tgt_tokens = 0, tgt_slots = 0;
  int64_t max_tgt_slots = 0;  ///< largest rows x max target length of any batch
  double src_padding() const { return src_slots ? 1.0 - double(src_tokens) / src_slots : 0.0; }
  double tgt_padding() const { return tgt_slots ? 1.0 - double(tgt_tokens) / tgt_slots : 0.0; }
};

/// Training batches by a token budget, bucketed by length (as in Vaswani et al. 2017 §5.1:
/// "sentence pairs were batched together by approximate sequence length").
///
/// Epoch e's plan is a pure function of (seed, e): indices are permuted with a
/// std::mt19937_64 seeded from (seed, e) (portable Fisher-Yates, not std::shuffle), stably sorted
/// by (max(source, target length) / 2, target length, source length) -- globally, or within
/// chunks of `sort_chunk` examples when sort_chunk > 0 -- cut greedily into batches with rows x max
/// target length <= max_tokens (target length = |y| + 1, padding included), and the batch order is
/// shuffled with the same generator. Every example appears in exactly one batch per epoch. An
/// example whose target alone exceeds max_tokens gets a batch of its own. A trainer resumes
/// mid-epoch by rebuilding plan(epoch) and skipping the batches already done.
class TokenBatcher {
 public:
  /// Lengths in tokens as in the tensors: src_lengths[i] = |src ids| (EOS included),
  /// tgt_lengths[i] = |y| + 1. Throws std::invalid_argument on size mismatch or max_tokens < 1.
  TokenBatcher(std::vector<int64_t> src_lengths, std::vector<int64_t> tgt_lengths,
               int64_t max_tokens, uint64_t seed, int64_t sort_chunk = 0);
  explicit TokenBatcher(const EncodedCorpus& c, int64_t max_tokens, uint64_t seed,
                        int64_t sort_chunk = 0)
      : TokenBatcher(c.src_lengths(), c.tgt_lengths(), max_tokens, seed, sort_chunk) {}

  /// The batches of epoch `epoch` (any integer, typically 0, 1, ...), in training order.
  BatchPlan plan(int64_t epoch) const;
  /// Padding and budget figures of a plan.
  PaddingStats stats(const BatchPlan& plan) const;
  size_t size() const { return src_len_.size(); }
  int64_t max_tokens() const { return max_tokens_; }

 private:
  std::vector<int64_t> src_len_, tgt_len_;
  int64_t max_tokens_;
  uint64_t seed_;
  int64_t sort_chunk_;
};

/// Data-parallel training: the rows of a global batch that rank `rank` of `world` trains on,
/// every world-th row from position `rank` (rows come sorted by length, so the shares hold
/// about the same number of tokens). The shares of all ranks are disjoint and cover `rows`; a
/// share is empty when the batch has fewer rows than ranks. world 1 returns `rows` as they are.
std::vector<int64_t> rank_share(const std::vector<int64_t>& rows, int rank, int world);

/// Target tokens (|y| + 1 per example, no padding) of examples `rows` of `c`: a global batch's
/// loss normaliser, the same on every rank without communication.
int64_t target_tokens(const EncodedCorpus& c, const std::vector<int64_t>& rows);

/// Decoding batches: indices sorted by source length (ties in input order), cut into batches of
/// at most max_sentences sentences and, when max_tokens > 0, at most max_tokens source slots
/// (rows x max length). Write output k of a batch to position batch[k] to restore input order.
BatchPlan plan_decode_batches(const std::vector<int64_t>& src_lengths, int64_t max_sentences,
                              int64_t max_tokens = 0);

/// The generator for (seed, epoch): mt19937_64 seeded with a SplitMix64 mix of both.
std::mt19937_64 epoch_rng(uint64_t seed, int64_t epoch);
/// Uniform integer in [0, n) by rejection (portable across standard libraries).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n);

}  // namespace tinynmt
