// One sentence per config key, for the config reference (docs/config.md, `tinynmt config
// --reference`). Every row of the field table must have one: attach_docs throws otherwise, so a
// new key without a description fails every test that reads a config.
#include <map>
#include <stdexcept>

#include "config/config_fields.h"

namespace tinynmt::config_fields {
namespace {

std::string corpus_doc(const std::string& split, const std::string& key) {
  const std::string what = split == "train" ? "training corpus"
                           : split == "dev" ? "validation corpus (loss, BLEU, chrF, early stopping)"
                                            : "test corpus";
  if (key == "src") return "Source side of the " + what + ": one sentence a line.";
  if (key == "alignment")
    return "Guided alignment (Garg et al. 2019): word links of the training corpus, one Pharaoh "
           "line (0-based `i-j`, source word first, as fast_align writes) per corpus line; words "
           "are the corpus' space-separated tokens. Empty = off.";
  if (key == "tgt") return "Target side of the " + what + ", line-aligned with `src`.";
  return "The " + what + " as one file of `source<TAB>target` lines, instead of `src` and `tgt`.";
}

const std::map<std::string, std::string>& docs() {
  static const std::map<std::string, std::string> d = {
      {"run.dir", "Run directory: checkpoints, vocabulary, resolved config, logs, curves."},
      {"run.seed", "Global seed: torch, data order, dropout."},
      {"run.device", "`auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`."},
      {"run.threads", "CPU compute threads; 0 = all cores."},
      {"run.backend",
       "Data-parallel training: c10d backend; `auto` = NCCL for CUDA, Gloo for the CPU."},
      {"run.c10d_timeout",
       "Data-parallel training: seconds a rank waits for the others before it gives up."},
      {"data.tokenizer.type", "SentencePiece model type."},
      {"data.tokenizer.vocab_size", "Pieces per SentencePiece model."},
      {"data.tokenizer.joint", "One vocabulary for both languages."},
      {"data.tokenizer.character_coverage", "SentencePiece character coverage."},
      {"data.tokenizer.input_sentence_size",
       "Sentences sampled (deterministically) to train SentencePiece."},
      {"data.max_length", "Training pairs longer than this many pieces on a side are dropped."},
      {"model.encoder.type", "Encoder: Transformer layers or a recurrent network."},
      {"model.encoder.rnn_type", "rnn: the recurrent cell."},
      {"model.encoder.layers", "Encoder layers."},
      {"model.encoder.embedding_dim", "rnn: embedding size."},
      {"model.encoder.hidden_size", "rnn: hidden size per direction."},
      {"model.encoder.bidirectional", "rnn: read the source in both directions."},
      {"model.encoder.d_model", "transformer: model size."},
      {"model.encoder.heads", "transformer: self-attention heads; must divide `d_model`."},
      {"model.encoder.ff", "transformer: feed-forward size."},
      {"model.encoder.dropout", "Dropout."},
      {"model.encoder.norm", "transformer: layer norm before (pre) or after (post) each block."},
      {"model.decoder.type", "Decoder: Transformer layers or a recurrent network."},
      {"model.decoder.attention", "Cross-attention type (see the README's attention table)."},
      {"model.decoder.attention_placement",
       "rnn: attention before the cell (bahdanau) or after it (luong); auto follows the type."},
      {"model.decoder.input_feeding", "rnn, luong placement: feed the attentional state back."},
      {"model.decoder.rnn_type", "rnn: the recurrent cell."},
      {"model.decoder.layers", "Decoder layers."},
      {"model.decoder.embedding_dim", "rnn: embedding size."},
      {"model.decoder.hidden_size", "rnn: hidden size."},
      {"model.decoder.d_model", "transformer: model size; must equal the encoder's."},
      {"model.decoder.heads", "Self-attention heads and multihead cross-attention heads."},
      {"model.decoder.ff", "transformer: feed-forward size."},
      {"model.decoder.dropout", "Dropout."},
      {"model.decoder.attention_dropout", "Dropout on multi-head attention weights."},
      {"model.decoder.window", "local-m / local-p: window half-width D."},
      {"model.decoder.norm", "transformer: layer norm before (pre) or after (post) each block."},
      {"model.decoder.tie_embeddings", "The decoder's input embedding is the output projection."},
      {"model.tie_all_embeddings",
       "Encoder, decoder and output share one matrix (needs a joint vocabulary)."},
      {"training.max_steps",
       "Optimiser steps to train; 0 = no limit. The shipped configs' budget."},
      {"training.max_epochs", "Passes over the training data; 0 = no limit."},
      {"training.max_minutes",
       "Wall-clock safety cap in minutes; 0 = none. A run stopped by it says so, with the steps "
       "reached against `max_steps`."},
      {"training.batch_size", "Target tokens per batch, padding included."},
      {"training.accumulate", "Batches per optimiser step."},
      {"training.optimizer",
       "Optimiser: adam, adamw (decoupled weight decay) or sgd (plain, no momentum)."},
      {"training.lr", "Peak learning rate."},
      {"training.beta1", "Adam β1."},
      {"training.beta2", "Adam β2."},
      {"training.weight_decay", "Weight decay."},
      {"training.schedule", "Learning-rate schedule."},
      {"training.warmup", "Warmup steps (noam, warmup_linear, plateau)."},
      {"training.decay_factor", "plateau: factor applied to the learning rate."},
      {"training.plateau_patience", "plateau: validations without improvement before a decay."},
      {"training.min_lr", "plateau: learning-rate floor."},
      {"training.label_smoothing", "Label smoothing."},
      {"training.clip_norm", "Gradient norm clipping; 0 = off."},
      {"training.validate_every", "Steps between validations (and checkpoints)."},
      {"training.log_every", "Steps between log lines and `metrics.jsonl` train records."},
      {"training.keep_checkpoints",
       "Numbered step checkpoints (`step_N.ckpt`, one per validation, or per `validate_every` "
       "steps without a dev set) kept besides `last` and `best`; `tinynmt average --last N` "
       "averages them."},
      {"training.ema_decay",
       "Exponential moving average of the weights (Polyak averaging; Marian's "
       "`--exponential-smoothing`): after each optimiser step ema = d·ema + (1−d)·θ with d = "
       "ema_decay; validation, `best`, numbered checkpoints and translation use the average, "
       "`last` also keeps the raw weights for resuming. 0 = off; typical 0.999-0.9999."},
      {"training.ema_warmup",
       "EMA decay min(ema_decay, (1+t)/(10+t)) at step t (TensorFlow's "
       "ExponentialMovingAverage num_updates), so early averages forget the initialisation."},
      {"training.early_stopping.metric", "Validation metric that picks `best` and stops early."},
      {"training.early_stopping.patience", "Validations without improvement; 0 = off."},
      {"training.guided_alignment.weight",
       "Guided alignment: λ, the weight of the cross-entropy between the supervised head and the "
       "links (per supervised target token) added to the translation loss."},
      {"training.guided_alignment.layer",
       "Guided alignment: decoder layer of the supervised head, 0-based; -1 = the penultimate "
       "(Garg et al. 2019 §4.1). `tinynmt align` reads this head by default."},
      {"training.guided_alignment.head",
       "Guided alignment: cross-attention head of that layer that the links supervise."},
      {"training.guided_alignment.full_context",
       "Guided alignment: the supervised head's layers are recomputed without the causal mask, "
       "seeing the whole target (Garg et al. 2019 §4.2); training only."},
      {"training.guided_alignment.null_to_eos",
       "Guided alignment: the target pieces of a linked pair that have no link are supervised "
       "onto the source EOS, which stands for the NULL word of the IBM models, so the head learns "
       "to leave them unaligned; `tinynmt align` then reads it with `--method argmax-null`."},
      {"training.precision", "bf16 autocast (CUDA only) or fp32."},
      {"training.validate_max_sentences", "Dev sentences decoded for BLEU; 0 = all."},
      {"training.report_sentences",
       "RUN_DIR/report.html shows the attention of the first N dev sentences at each validation; 0 "
       "= off."},
      {"decoding.beam", "Beam size; 1 = greedy."},
      {"decoding.alpha", "Length penalty exponent; 0 = none."},
      {"decoding.length_penalty",
       "gnmt: score / ((5 + |y|) / 6)^alpha (Wu et al. 2016); average: score / |y|^alpha, |y| "
       "without EOS (CTranslate2, OpenNMT-py)."},
      {"decoding.max_len_ratio", "Longest output: ratio × source length + 10."},
      {"decoding.batch_size", "Sentences per decoding batch."},
  };
  return d;
}

}  // namespace

void attach_docs(std::vector<Field>& table) {
  for (Field& f : table) {
    if (f.path.rfind("data.", 0) == 0) {
      const auto dot = f.path.find('.', 5);
      const std::string split = f.path.substr(5, dot - 5);
      if (split == "train" || split == "dev" || split == "test") {
        f.doc = corpus_doc(split, f.path.substr(dot + 1));
        continue;
      }
    }
    auto it = docs().find(f.path);
    if (it == docs().end())
      throw std::logic_error("config field " + f.path + " has no description");
    f.doc = it->second;
  }
  if (docs().size() + 10 != table.size())
    throw std::logic_error("config_field_docs.cpp describes a key that the field table lacks");
}

}  // namespace tinynmt::config_fields
