#include "decode/translator.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "align/selection.h"
#include "align/word_align.h"
#include "data/batching.h"
#include "data/corpus.h"
#include "decode/attention_records.h"
#include "decode/forced_decode.h"
#include "decode/search.h"
#include "models/special_ids.h"
#include "util/runtime.h"

namespace tinynmt::decode {

namespace {

constexpr const char* kEosPiece = "</s>";

// The self-attention of each row's best hypothesis: one forced pass over the batch's sources and
// those hypotheses (an empty one stands in as EOS and is cut back to no rows).
void add_self_attention(const LoadedModel& m, const Batch& b,
                        const std::vector<std::vector<Hypothesis>>& hyps,
                        const std::vector<align::AttentionRecord*>& records) {
  std::vector<std::vector<int64_t>> targets;
  for (const auto& h : hyps)
    targets.push_back(h.empty() || h.front().tokens.empty() ? std::vector<int64_t>{kEosId}
                                                            : h.front().tokens);
  auto [tgt_in, tgt_out] = teacher_forcing_batch(targets, m.device);
  ForcedDecodeOptions fo;
  fo.self_attention = true;
  auto forced = forced_decode(*m.model, b.src, b.src_mask, tgt_in, tgt_out, fo);
  for (size_t k = 0; k < records.size(); ++k) {
    if (records[k]->src_tokens.empty()) continue;  // no hypothesis: the empty record's shape
    const auto n = static_cast<int64_t>(records[k]->tgt_tokens.size());
    const auto& dec = forced[k].decoder_self_attention;  // [layers, heads, T, T]
    records[k]->encoder_self = self_part(forced[k].encoder_self_attention);
    records[k]->decoder_self =
        self_part(dec.defined() ? dec.narrow(2, 0, n).narrow(3, 0, n).contiguous() : dec);
  }
}

// Pieces of `ids` as the model sees them (surface pieces when SentencePiece's piece list lines
// up with the ids, so an unknown character shows as itself rather than "<unk>").
std::vector<std::string> pieces_of(const SpmModel& spm, const std::string& text,
                                   const std::vector<int64_t>& ids) {
  auto pieces = spm.pieces(text);
  if (pieces.size() == ids.size()) return pieces;
  pieces.clear();
  for (auto id : ids) pieces.push_back(spm.id_to_piece(id));
  return pieces;
}

}  // namespace

TranslateOptions translate_options_from(const Config& cfg) {
  TranslateOptions o;
  o.beam = cfg.decoding.beam;
  o.alpha = cfg.decoding.alpha;
  o.length_penalty = parse_length_penalty_form(cfg.decoding.length_penalty);
  o.max_len_ratio = cfg.decoding.max_len_ratio;
  o.batch_size = cfg.decoding.batch_size;
  o.max_src_pieces = cfg.data.max_length;
  return o;
}

SearchOptions search_options_from(const TranslateOptions& o) {
  SearchOptions so;
  so.strategy = o.sample ? SearchStrategy::kSample : SearchStrategy::kBeam;
  so.beam = o.beam;
  so.alpha = o.alpha;
  so.length_penalty = o.length_penalty;
  so.n_best = o.n_best;
  so.max_len_ratio = o.max_len_ratio;
  so.capture_attention = o.capture_attention;
  so.sampling = o.sampling;
  return so;
}

Translator::Translator(const LoadedModel& model, TranslateOptions options)
    : m_(model), options_(std::move(options)) {
  const auto& o = options_;
  if (o.beam < 1) throw std::invalid_argument(fmt::format("beam {} must be >= 1", o.beam));
  if (o.n_best < 1 || o.n_best > o.beam) {
    throw std::invalid_argument(
        fmt::format("n-best {} must be between 1 and the beam size {}", o.n_best, o.beam));
  }
  if (o.alpha < 0) throw std::invalid_argument(fmt::format("alpha {} must be >= 0", o.alpha));
  if (o.sample && o.n_best != 1)
    throw std::invalid_argument(fmt::format("n-best {} with sampling: it gives one", o.n_best));
  if (o.sample) sampling_log_probs(torch::zeros({1, 1}), o.sampling);  // validates sampling
  if (o.max_len_ratio < 0) {
    throw std::invalid_argument(fmt::format("max-len-ratio {} must be >= 0", o.max_len_ratio));
  }
  if (o.batch_size < 1) {
    throw std::invalid_argument(fmt::format("batch size {} must be >= 1", o.batch_size));
  }
  if (!m_.model) throw std::invalid_argument("Translator: no model loaded");
}

Translation Translator::translate(const std::string& line, int64_t index) const {
  return translate(std::vector<std::string>{line}, index).front();
}

std::vector<Translation> Translator::translate(const std::vector<std::string>& lines,
                                               int64_t first_index) const {
  const Tokenizer& tok = m_.tokenizer;
  const auto& o = options_;
  std::vector<Translation> out(lines.size());
  // Encode; empty lines are answered at once.
  std::vector<std::vector<int64_t>> src_ids;         // pieces + EOS of the non-empty lines
  std::vector<std::vector<std::string>> src_tokens;  // pieces + "</s>"
  std::vector<size_t> line_of;                       // non-empty line -> index into `lines`
  for (size_t i = 0; i < lines.size(); ++i) {
    auto ids = tok.src().encode(lines[i]);
    Translation& tr = out[i];
    tr.src_pieces = static_cast<int64_t>(ids.size());
    if (ids.empty()) {
      tr.hypotheses.emplace_back();
      if (o.capture_attention)
        tr.attention = empty_record(m_, first_index + int64_t(i), o.self_attention);
      continue;
    }
    auto pieces = pieces_of(tok.src(), lines[i], ids);
    if (o.max_src_pieces > 0 && static_cast<int64_t>(ids.size()) > o.max_src_pieces) {
      ids.resize(o.max_src_pieces);
      pieces.resize(o.max_src_pieces);
      tr.truncated = true;
    }
    ids.push_back(kEosId);
    pieces.push_back(kEosPiece);
    src_ids.push_back(std::move(ids));
    src_tokens.push_back(std::move(pieces));
    line_of.push_back(i);
  }
  if (src_ids.empty()) return out;

  std::vector<int64_t> lengths;
  for (const auto& s : src_ids) lengths.push_back(static_cast<int64_t>(s.size()));
  torch::NoGradGuard no_grad;
  uint64_t batch_number = 0;
  for (const auto& batch_idx : plan_decode_batches(lengths, o.batch_size)) {
    Batch b = make_batch(src_ids, nullptr, batch_idx).to(m_.device);
    ++batch_number;
    SearchOptions so = search_options_from(o);
    // Every batch draws from its own stream (the seed moved by the batch's place in the input),
    // so lines translated one call at a time, or in later batches, do not reuse the same draws.
    so.sampling.seed =
        o.sampling.seed +
        0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(first_index) * 1000003ULL + batch_number);
    auto hyps = search(*m_.model, b.src, b.src_mask, so);
    for (size_t k = 0; k < batch_idx.size(); ++k) {
      const size_t j = static_cast<size_t>(batch_idx[k]);
      const size_t i = line_of[j];
      Translation& tr = out[i];
      for (const auto& h : hyps[k]) {
        TranslationHypothesis th;
        th.ids = h.tokens;
        th.text = tok.decode_tgt(h.tokens);
        th.score = h.score;
        th.normalized_score = h.normalized_score;
        for (auto id : h.tokens) th.pieces.push_back(tok.tgt().id_to_piece(id));
        tr.hypotheses.push_back(std::move(th));
      }
      if (tr.hypotheses.empty()) tr.hypotheses.emplace_back();  // defensive: never none
      if (o.capture_attention && !hyps[k].empty()) {
        align::AttentionRecord rec;
        rec.index = first_index + static_cast<int64_t>(i);
        rec.model = m_.name;
        rec.src_tokens = src_tokens[j];
        rec.tgt_tokens = tr.hypotheses.front().pieces;
        rec.src_word_of_token = align::word_index_of_pieces(rec.src_tokens);
        rec.tgt_word_of_token = align::word_index_of_pieces(rec.tgt_tokens);
        rec.src_words = align::words_of_pieces(rec.src_tokens, rec.src_word_of_token);
        rec.tgt_words = align::words_of_pieces(rec.tgt_tokens, rec.tgt_word_of_token);
        const auto& att = hyps[k].front().attention;  // [layers, heads, tgt, src]
        rec.layers = static_cast<int>(att.size(0));
        rec.heads = static_cast<int>(att.size(1));
        rec.subword = to_matrices(att);
        tr.attention = std::move(rec);
      } else if (o.capture_attention) {
        tr.attention = empty_record(m_, first_index + static_cast<int64_t>(i), o.self_attention);
      }
    }
    if (!o.capture_attention) continue;
    std::vector<align::AttentionRecord*> records;
    for (auto j : batch_idx) records.push_back(&out[line_of[static_cast<size_t>(j)]].attention);
    if (o.self_attention) add_self_attention(m_, b, hyps, records);
    for (auto* rec : records) align::fill_word_level(*rec);
  }
  return out;
}

namespace {

/// True for a word made only of . , ; : ! ? ) ] } % (ASCII closing punctuation).
bool is_closing_punctuation(const std::string& word) {
  return !word.empty() && word.find_first_not_of(".,;:!?)]}%") == std::string::npos;
}

}  // namespace

EncodedSide encode_side(const SpmModel& spm, const std::string& line, bool tokenized) {
  EncodedSide side;
  if (!tokenized) {
    side.ids = spm.encode(line);
    if (side.ids.empty()) return side;
    side.tokens = pieces_of(spm, line, side.ids);
    side.ids.push_back(kEosId);
    side.tokens.push_back(kEosPiece);
    side.word_of_token = align::word_index_of_pieces(side.tokens);
    side.words = align::words_of_pieces(side.tokens, side.word_of_token);
    return side;
  }
  // Pre-tokenised: words are separated by spaces or tabs; each is encoded on its own.
  size_t pos = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t\r\n", pos);
    if (start == std::string::npos) break;
    size_t end = line.find_first_of(" \t\r\n", start);
    if (end == std::string::npos) end = line.size();
    side.words.push_back(line.substr(start, end - start));
    pos = end;
  }
  for (size_t w = 0; w < side.words.size(); ++w) {
    auto ids = spm.encode(side.words[w]);
    auto pieces = pieces_of(spm, side.words[w], ids);
    // Closing punctuation is glued to the word before it in raw text ("family."): drop the bare
    // word-boundary piece SentencePiece puts in front of it on its own ("▁", ".").
    const size_t first = w > 0 && is_closing_punctuation(side.words[w]) && pieces.size() > 1 &&
                                 pieces[0] == align::kWordBoundary
                             ? 1
                             : 0;
    for (size_t k = first; k < ids.size(); ++k) {
      side.ids.push_back(ids[k]);
      side.tokens.push_back(pieces[k]);
      side.word_of_token.push_back(static_cast<int>(w));
    }
  }
  if (side.ids.empty()) return EncodedSide{};
  side.ids.push_back(kEosId);
  side.tokens.push_back(kEosPiece);
  side.word_of_token.push_back(-1);
  return side;
}

std::vector<AlignResult> force_align_encoded(const LoadedModel& model,
                                             const std::vector<EncodedSide>& src,
                                             const std::vector<EncodedSide>& tgt,
                                             const AlignOptions& options, int64_t first_index) {
  if (src.size() != tgt.size()) {
    throw std::invalid_argument(
        fmt::format("align: {} source but {} target sentences", src.size(), tgt.size()));
  }
  const align::HardAlignment method = align::parse_hard_alignment(options.method);
  if (options.batch_size < 1) throw std::invalid_argument("align: batch size must be >= 1");
  const int nl = static_cast<int>(model.attention_layers());
  const int nh = static_cast<int>(model.model->attention_heads());
  align::parse_selection(options.layer, nl, "layer");  // fail early, before any work
  align::parse_selection(options.head, nh, "head");

  std::vector<AlignResult> out(src.size());
  std::vector<size_t> live;  // pairs with both sides non-empty
  for (size_t i = 0; i < src.size(); ++i) {
    out[i].record =
        empty_record(model, first_index + static_cast<int64_t>(i), options.self_attention);
    const auto& s = src[i];
    const auto& t = tgt[i];
    if (s.ids.size() != s.tokens.size() || s.ids.size() != s.word_of_token.size() ||
        t.ids.size() != t.tokens.size() || t.ids.size() != t.word_of_token.size()) {
      throw std::invalid_argument(
          fmt::format("align: pair {}: ids, tokens and word maps differ "
                      "in length",
                      first_index + static_cast<int64_t>(i)));
    }
    if (s.ids.empty() || t.ids.empty()) continue;
    live.push_back(i);
  }
  if (live.empty()) return out;

  std::vector<std::vector<int64_t>> src_ids;
  std::vector<int64_t> lengths;
  for (size_t i : live) {
    src_ids.push_back(src[i].ids);
    lengths.push_back(static_cast<int64_t>(src[i].ids.size()));
  }
  torch::NoGradGuard no_grad;
  for (const auto& batch_idx : plan_decode_batches(lengths, options.batch_size)) {
    Batch b = make_batch(src_ids, nullptr, batch_idx).to(model.device);
    std::vector<std::vector<int64_t>> targets;
    for (auto j : batch_idx) targets.push_back(tgt[live[j]].ids);
    auto [tgt_in, tgt_out] = teacher_forcing_batch(targets, model.device);
    ForcedDecodeOptions fo;
    fo.extra = model.alignment_layer ? model.alignment_layer.ptr().get() : nullptr;
    fo.self_attention = options.self_attention;
    fo.full_context = options.guided_full_context ? &*options.guided_full_context : nullptr;
    fo.scores = options.scores;
    auto forced = forced_decode(*model.model, b.src, b.src_mask, tgt_in, tgt_out, fo);
    for (size_t k = 0; k < batch_idx.size(); ++k) {
      const size_t i = live[batch_idx[k]];
      AlignResult& r = out[i];
      auto& rec = r.record;
      rec.src_tokens = src[i].tokens;
      rec.tgt_tokens = tgt[i].tokens;
      rec.src_words = src[i].words;
      rec.tgt_words = tgt[i].words;
      rec.src_word_of_token = src[i].word_of_token;
      rec.tgt_word_of_token = tgt[i].word_of_token;
      const auto& att = forced[k].attention;  // [layers, heads, tgt, src]
      rec.layers = static_cast<int>(att.size(0));
      rec.heads = static_cast<int>(att.size(1));
      rec.subword = to_matrices(att);
      rec.encoder_self = self_part(forced[k].encoder_self_attention);
      rec.decoder_self = self_part(forced[k].decoder_self_attention);
      if (options.shift) {
        // Row t + 1 for target token t; the last (EOS) row, dropped from the word level, keeps
        // its own. The record keeps the unshifted subword matrices.
        const int64_t n = att.size(2);
        align::fill_word_level(
            rec, to_matrices(torch::cat({att.slice(2, 1, n), att.slice(2, n - 1, n)}, 2)));
        rec.shift = true;
      } else {
        align::fill_word_level(rec);
      }
      const align::Matrix sel = align::select_layer_head(rec.word, options.layer, options.head);
      r.links = align::hard_alignment(sel, method, static_cast<float>(options.threshold));
      rec.alignment = align::format_pharaoh(r.links);
      r.score = forced[k].score;
    }
  }
  return out;
}

std::vector<AlignResult> force_align(const LoadedModel& model, const std::vector<std::string>& src,
                                     const std::vector<std::string>& tgt,
                                     const AlignOptions& options, int64_t first_index) {
  if (src.size() != tgt.size()) {
    throw std::invalid_argument(
        fmt::format("align: {} source lines but {} target lines", src.size(), tgt.size()));
  }
  std::vector<EncodedSide> s, t;
  s.reserve(src.size());
  t.reserve(tgt.size());
  for (size_t i = 0; i < src.size(); ++i) {
    s.push_back(encode_side(model.tokenizer.src(), src[i], options.tokenized));
    t.push_back(encode_side(model.tokenizer.tgt(), tgt[i], options.tokenized));
  }
  return force_align_encoded(model, s, t, options, first_index);
}

}  // namespace tinynmt::decode
