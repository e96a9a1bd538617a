#include "config/config_fields.h"

namespace tinynmt::config_fields {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kInt:
      return "an integer";
    case Kind::kFloat:
      return "a number";
    case Kind::kBool:
      return "true or false";
    case Kind::kString:
      return "a string";
  }
  return "?";
}

namespace {

template <typename T>
Field make_field(std::string path, Kind kind, T Config::*section, std::function<void*(T&)> loc,
                 std::vector<std::string> choices = {}, double min = -1e300, double max = 1e300) {
  Field f;
  f.path = std::move(path);
  f.kind = kind;
  f.choices = std::move(choices);
  f.min = min;
  f.max = max;
  f.set = [section, loc, kind](Config& c, const YAML::Node& n) {
    void* p = loc(c.*section);
    switch (kind) {
      case Kind::kInt:
        *static_cast<int64_t*>(p) = n.as<int64_t>();
        break;
      case Kind::kFloat:
        *static_cast<double*>(p) = n.as<double>();
        break;
      case Kind::kBool:
        *static_cast<bool*>(p) = n.as<bool>();
        break;
      case Kind::kString:
        *static_cast<std::string*>(p) = n.as<std::string>();
        break;
    }
  };
  f.get = [section, loc, kind](const Config& c) {
    void* p = loc(const_cast<T&>(c.*section));
    switch (kind) {
      case Kind::kInt:
        return YAML::Node(*static_cast<int64_t*>(p));
      case Kind::kFloat:
        return YAML::Node(*static_cast<double*>(p));
      case Kind::kBool:
        return YAML::Node(*static_cast<bool*>(p));
      case Kind::kString:
        return YAML::Node(*static_cast<std::string*>(p));
    }
    return YAML::Node();
  };
  return f;
}

#define TN_FIELD(SECTION, TYPE, PATH, MEMBER, KIND, ...) \
  make_field<TYPE>(                                      \
      PATH, Kind::KIND, &Config::SECTION,                \
      [](TYPE& s) -> void* { return static_cast<void*>(&s.MEMBER); }, ##__VA_ARGS__)

constexpr double kInf = 1e300;

// run.*
void add_run_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  t.push_back(TN_FIELD(run, RunConfig, "run.dir", dir, kString));
  t.push_back(TN_FIELD(run, RunConfig, "run.seed", seed, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(run, RunConfig, "run.device", device, kString));
  t.push_back(TN_FIELD(run, RunConfig, "run.threads", threads, kInt, S{}, 0, 1024));
  t.push_back(TN_FIELD(run, RunConfig, "run.backend", backend, kString, S{"auto", "gloo", "nccl"}));
  t.push_back(TN_FIELD(run, RunConfig, "run.c10d_timeout", c10d_timeout, kInt, S{}, 1, 86400));
}

// data.* (corpora, tokenizer, length limit)
void add_data_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  for (const char* split : {"train", "dev", "test"}) {
    std::string sp = split;
    auto corpus = [sp](DataConfig& d) -> CorpusFiles& {
      return sp == "train" ? d.train : sp == "dev" ? d.dev : d.test;
    };
    using Member = std::string CorpusFiles::*;
    for (const auto& [key, member] : {std::pair<std::string, Member>{"src", &CorpusFiles::src},
                                      {"tgt", &CorpusFiles::tgt},
                                      {"tsv", &CorpusFiles::tsv}}) {
      Member m = member;  // a structured binding cannot be captured in C++17
      t.push_back(make_field<DataConfig>(
          "data." + sp + "." + key, Kind::kString, &Config::data,
          [corpus, m](DataConfig& d) -> void* { return static_cast<void*>(&(corpus(d).*m)); }));
    }
  }
  t.push_back(TN_FIELD(data, DataConfig, "data.train.alignment", train.alignment, kString));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.type", tokenizer.type, kString,
                       S{"unigram", "bpe"}));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.vocab_size", tokenizer.vocab_size, kInt,
                       S{}, 8, 1000000));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.joint", tokenizer.joint, kBool));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.character_coverage",
                       tokenizer.character_coverage, kFloat, S{}, 0.9, 1.0));
  t.push_back(TN_FIELD(data, DataConfig, "data.tokenizer.input_sentence_size",
                       tokenizer.input_sentence_size, kInt, S{}, 100, 1e9));
  t.push_back(TN_FIELD(data, DataConfig, "data.max_length", max_length, kInt, S{}, 2, 10000));
}

// A field of model.encoder or model.decoder (`side`), e.g. model.encoder.d_model.
template <typename Side, typename V>
Field side_field(const std::string& path, Kind kind, Side ModelConfig::*side, V Side::*member,
                 double min, double max) {
  return make_field<ModelConfig>(
      path, kind, &Config::model,
      [side, member](ModelConfig& m) -> void* { return static_cast<void*>(&((m.*side).*member)); },
      {}, min, max);
}

// PREFIX.layers, embedding_dim, hidden_size: the sizes both sides have (the RNN's).
template <typename Side>
void add_rnn_sizes(std::vector<Field>& t, const std::string& prefix, Side ModelConfig::*side) {
  t.push_back(side_field(prefix + ".layers", Kind::kInt, side, &Side::layers, 1, 64));
  t.push_back(
      side_field(prefix + ".embedding_dim", Kind::kInt, side, &Side::embedding_dim, 1, 65536));
  t.push_back(side_field(prefix + ".hidden_size", Kind::kInt, side, &Side::hidden_size, 1, 65536));
}

// PREFIX.d_model, heads, ff, dropout: the sizes both sides have (the Transformer's).
template <typename Side>
void add_transformer_sizes(std::vector<Field>& t, const std::string& prefix,
                           Side ModelConfig::*side) {
  t.push_back(side_field(prefix + ".d_model", Kind::kInt, side, &Side::d_model, 1, 65536));
  t.push_back(side_field(prefix + ".heads", Kind::kInt, side, &Side::heads, 1, 256));
  t.push_back(side_field(prefix + ".ff", Kind::kInt, side, &Side::ff, 1, 1 << 20));
  t.push_back(side_field(prefix + ".dropout", Kind::kFloat, side, &Side::dropout, 0, 0.99));
}

// model.encoder.*, model.decoder.*, model.tie_all_embeddings
void add_model_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  const S enc_types{"transformer", "rnn"}, rnn_types{"gru", "lstm"}, norms{"pre", "post"};
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.type", encoder.type, kString, enc_types));
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.encoder.rnn_type", encoder.rnn_type, kString, rnn_types));
  add_rnn_sizes(t, "model.encoder", &ModelConfig::encoder);
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.encoder.bidirectional", encoder.bidirectional, kBool));
  add_transformer_sizes(t, "model.encoder", &ModelConfig::encoder);
  t.push_back(TN_FIELD(model, ModelConfig, "model.encoder.norm", encoder.norm, kString, norms));
  // model.decoder
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.type", decoder.type, kString, enc_types));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention", decoder.attention, kString,
                       attention_names()));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention_placement",
                       decoder.attention_placement, kString, S{"auto", "bahdanau", "luong"}));
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.decoder.input_feeding", decoder.input_feeding, kBool));
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.decoder.rnn_type", decoder.rnn_type, kString, rnn_types));
  add_rnn_sizes(t, "model.decoder", &ModelConfig::decoder);
  add_transformer_sizes(t, "model.decoder", &ModelConfig::decoder);
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.attention_dropout",
                       decoder.attention_dropout, kFloat, S{}, 0, 0.99));
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.decoder.window", decoder.window, kInt, S{}, 1, 10000));
  t.push_back(TN_FIELD(model, ModelConfig, "model.decoder.norm", decoder.norm, kString, norms));
  t.push_back(
      TN_FIELD(model, ModelConfig, "model.decoder.tie_embeddings", decoder.tie_embeddings, kBool));
  t.push_back(TN_FIELD(model, ModelConfig, "model.tie_all_embeddings", tie_all_embeddings, kBool));
}

// training.*
void add_training_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  using T = TrainingConfig;
  t.push_back(TN_FIELD(training, T, "training.max_steps", max_steps, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.max_epochs", max_epochs, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.max_minutes", max_minutes, kFloat, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.batch_size", batch_size, kInt, S{}, 1, kInf));
  t.push_back(TN_FIELD(training, T, "training.accumulate", accumulate, kInt, S{}, 1, 1024));
  t.push_back(
      TN_FIELD(training, T, "training.optimizer", optimizer, kString, S{"adam", "adamw", "sgd"}));
  t.push_back(TN_FIELD(training, T, "training.lr", lr, kFloat, S{}, 1e-12, 100));
  t.push_back(TN_FIELD(training, T, "training.beta1", beta1, kFloat, S{}, 0, 0.999999));
  t.push_back(TN_FIELD(training, T, "training.beta2", beta2, kFloat, S{}, 0, 0.999999));
  t.push_back(TN_FIELD(training, T, "training.weight_decay", weight_decay, kFloat, S{}, 0, 10));
  t.push_back(TN_FIELD(training, T, "training.schedule", schedule, kString,
                       S{"constant", "noam", "plateau", "warmup_linear"}));
  t.push_back(TN_FIELD(training, T, "training.warmup", warmup, kInt, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.decay_factor", decay_factor, kFloat, S{}, 0.01, 1));
  t.push_back(
      TN_FIELD(training, T, "training.plateau_patience", plateau_patience, kInt, S{}, 0, 1000));
  t.push_back(TN_FIELD(training, T, "training.min_lr", min_lr, kFloat, S{}, 0, 100));
  t.push_back(
      TN_FIELD(training, T, "training.label_smoothing", label_smoothing, kFloat, S{}, 0, 0.99));
  t.push_back(TN_FIELD(training, T, "training.clip_norm", clip_norm, kFloat, S{}, 0, kInf));
  t.push_back(TN_FIELD(training, T, "training.validate_every", validate_every, kInt, S{}, 1, kInf));
  t.push_back(TN_FIELD(training, T, "training.log_every", log_every, kInt, S{}, 1, kInf));
  t.push_back(
      TN_FIELD(training, T, "training.keep_checkpoints", keep_checkpoints, kInt, S{}, 0, 1000));
  t.push_back(TN_FIELD(training, T, "training.ema_decay", ema_decay, kFloat, S{}, 0, 0.999999));
  t.push_back(TN_FIELD(training, T, "training.ema_warmup", ema_warmup, kBool));
  t.push_back(TN_FIELD(training, T, "training.early_stopping.metric", early_stopping.metric,
                       kString, S{"bleu", "chrf", "loss", "ppl"}));
  t.push_back(TN_FIELD(training, T, "training.early_stopping.patience", early_stopping.patience,
                       kInt, S{}, 0, 100000));
  t.push_back(TN_FIELD(training, T, "training.guided_alignment.weight", guided_alignment.weight,
                       kFloat, S{}, 0, 1000));
  t.push_back(TN_FIELD(training, T, "training.guided_alignment.layer", guided_alignment.layer, kInt,
                       S{}, -1, 1000));
  t.push_back(TN_FIELD(training, T, "training.guided_alignment.head", guided_alignment.head, kInt,
                       S{}, 0, 1000));
  t.push_back(TN_FIELD(training, T, "training.guided_alignment.full_context",
                       guided_alignment.full_context, kBool));
  t.push_back(TN_FIELD(training, T, "training.guided_alignment.null_to_eos",
                       guided_alignment.null_to_eos, kBool));
  t.push_back(TN_FIELD(training, T, "training.precision", precision, kString, S{"fp32", "bf16"}));
  t.push_back(TN_FIELD(training, T, "training.validate_max_sentences", validate_max_sentences, kInt,
                       S{}, 0, kInf));
  t.push_back(
      TN_FIELD(training, T, "training.report_sentences", report_sentences, kInt, S{}, 0, 1000));
}

// decoding.*
void add_decoding_fields(std::vector<Field>& t) {
  using S = std::vector<std::string>;
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.beam", beam, kInt, S{}, 1, 1000));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.alpha", alpha, kFloat, S{}, 0, 10));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.length_penalty", length_penalty, kString,
                       S{"gnmt", "average"}));
  t.push_back(TN_FIELD(decoding, DecodingConfig, "decoding.max_len_ratio", max_len_ratio, kFloat,
                       S{}, 0.1, 100));
  t.push_back(
      TN_FIELD(decoding, DecodingConfig, "decoding.batch_size", batch_size, kInt, S{}, 1, 100000));
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> table = [] {
    std::vector<Field> t;
    add_run_fields(t);
    add_data_fields(t);
    add_model_fields(t);
    add_training_fields(t);
    add_decoding_fields(t);
    attach_docs(t);
    return t;
  }();
  return table;
}

}  // namespace tinynmt::config_fields
