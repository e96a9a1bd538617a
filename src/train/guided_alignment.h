// Guided alignment training (Garg et al. 2019, "Jointly Learning to Align and Translate with
// Transformer Models", §3 eq. (4) and §4; Marian's --guided-alignment with the `ce` cost): one
// cross-attention head is trained towards given word links, expanded to pieces
// (align/training_links.h), by a cross-entropy added to the translation loss with weight λ.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "align/training_links.h"
#include "config/config.h"
#include "data/batching.h"
#include "models/seq2seq.h"

namespace tinynmt {

/// The supervised head of a config: training.guided_alignment.layer (-1 = the penultimate
/// decoder layer, layer 0 of a one-layer decoder), head and full_context.
GuidedHead guided_head(const Config& cfg);

/// The rows that carry guidance (the loss normaliser): the target pieces with at least one link;
/// with `tgt_pieces` > 0 (training.guided_alignment.null_to_eos, the pair's target pieces), all of
/// them when the pair has a link, since the unlinked ones are supervised onto the NULL word.
int64_t supervised_rows(const align::PieceLinks& links, int64_t tgt_pieces = 0);

/// NULL supervision of one batch row (training.guided_alignment.null_to_eos): the pair's target
/// pieces (EOS not counted) and the source column of its EOS, which stands for the NULL word of
/// the IBM models (Brown et al. 1993, §4.1: a target word that no source word generated).
struct NullColumn {
  int64_t tgt_pieces = 0;
  int64_t src_eos = 0;
};

/// The NULL columns of batch rows `indices` of `data` (encode_corpus: source ids are the pieces
/// then EOS): tgt_pieces = |tgt[k]|, src_eos = |src[k]| - 1, the column of the row's EOS in
/// make_batch's source tensor. Throws std::out_of_range for an index outside `data`.
std::vector<NullColumn> null_columns(const EncodedCorpus& data,
                                     const std::vector<int64_t>& indices);

/// The guidance of a batch (Garg et al. 2019 §3: G_{t,s} = 1/|A_t| for the source pieces s
/// linked to target piece t): [rows, tgt_len, src_len] float32 on the CPU. Row r is example
/// indices[r] of `links`; decoder position t is the step whose output is target piece t
/// (tgt_in[t] = BOS or piece t-1, tgt_out[t] = piece t), source column s is source piece s.
/// The target EOS row, the source EOS column, padding and target pieces without links are 0;
/// with `null` (one entry per row), a row that has links also gets G_{t,EOS} = 1 for each of its
/// target pieces t < tgt_pieces without one. Throws std::invalid_argument when a link or a NULL
/// entry falls outside [tgt_len, src_len], or when `null` is neither empty nor one per row.
torch::Tensor guidance_matrix(const std::vector<align::PieceLinks>& links,
                              const std::vector<int64_t>& indices, int64_t tgt_len, int64_t src_len,
                              const std::vector<NullColumn>& null = {});

/// Σ_{rows, t, s} -G_{t,s} · log A_{t,s}: the guided loss summed over the supervised target
/// pieces (divide by their number for the per-token loss of Garg et al. eq. (4)).
/// log_attention [B, T, S] (Seq2SeqOutput::guided_log_attention, -inf where masked);
/// guidance [B, T, S] (guidance_matrix), same device. Returns a float32 scalar; entries where
/// G = 0 contribute exactly 0 (never NaN). Throws std::invalid_argument on a shape mismatch.
torch::Tensor guided_alignment_loss(const torch::Tensor& log_attention,
                                    const torch::Tensor& guidance);

}  // namespace tinynmt
