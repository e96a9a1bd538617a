// Validation during training: teacher-forced loss and perplexity over the dev set, and greedy
// translations of (a prefix of) it scored with BLEU and chrF (eval/bleu.h, sacreBLEU-compatible).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "data/batching.h"
#include "data/tokenizer.h"
#include "models/seq2seq.h"

namespace tinynmt {

/// The dev set, encoded without a length limit.
struct DevSet {
  EncodedCorpus encoded;
  std::vector<std::string> refs;  ///< raw target sentences, aligned with `encoded` (same order)
  std::vector<std::string> srcs;  ///< raw source sentences, aligned the same way
};

/// Reads and encodes data.dev. Throws on unreadable files (as read_parallel).
DevSet load_dev_set(const CorpusFiles& files, const Tokenizer& tok);

/// One validation's figures.
struct Validation {
  double loss = 0;        ///< label-smoothing-free cross-entropy, nats per target token
  double ppl = 0;         ///< exp(loss)
  double bleu = 0;        ///< corpus BLEU, 0-100
  double chrf = 0;        ///< corpus chrF, 0-100
  int64_t sentences = 0;  ///< dev sentences translated (training.validate_max_sentences prefix)
};

/// Validates `model` on `dev` (model in eval mode, no gradients; back in train mode after).
/// Loss batches: up to 256 sentences and max(training.batch_size, 512) target tokens; greedy
/// decoding in decoding.batch_size batches with decoding.max_len_ratio. No RNG is consumed.
Validation validate_model(Seq2SeqImpl& model, const DevSet& dev, const Tokenizer& tok,
                          const Config& cfg, const torch::Device& device);

/// The value of early-stopping metric `metric` (bleu | chrf | loss | ppl) in `v`.
double metric_value(const Validation& v, const std::string& metric);

/// True for bleu and chrf, false for loss and ppl.
bool higher_is_better(const std::string& metric);

}  // namespace tinynmt
