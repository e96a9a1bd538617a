// Plain configuration structs for the networks in models/. They carry no YAML: src/config parses
// the `model` section of a config file into these, fills in defaults and validates them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinynmt {

/// The registered attention names, in table order (defined by models/attention/registry.cpp,
/// which holds one row per type).
const std::vector<std::string>& attention_names();

/// Options of one attention module. query_dim/key_dim/value_dim are filled in by the network that
/// builds the module; the rest comes from the config (model.decoder.*).
struct AttentionConfig {
  std::string type = "multihead";  ///< one of attention_names()
  int64_t query_dim = 0;           ///< size of the query vectors
  int64_t key_dim = 0;             ///< size of the key vectors (encoder output size)
  int64_t value_dim = 0;           ///< size of the value vectors (0 = key_dim)
  int64_t hidden_dim =
      0;              ///< additive/concat score hidden size, multihead model size (0 = query_dim)
  int64_t heads = 1;  ///< heads of `multihead`; other types have one head
  double dropout = 0.0;     ///< dropout on the attention weights (multihead)
  int64_t window = 10;      ///< local-m/local-p half-width D (Luong et al. 2015 §3.2)
  int64_t max_src_len = 0;  ///< unused by most; local-p uses the real source length S
};

/// Checks cfg as make_attention (models/attention/registry.h) would, without building: query_dim
/// and key_dim set, a known type and that type's size rules. Throws AttentionError
/// (models/attention/attention_error.h) whose parameter() names the field at fault.
void check_attention(const AttentionConfig& cfg);

struct EncoderConfig {
  std::string type = "transformer";  ///< transformer | rnn
  std::string rnn_type = "gru";      ///< gru | lstm (type rnn)
  int64_t layers = 3;
  int64_t embedding_dim = 256;  ///< rnn: embedding size (transformer uses d_model)
  int64_t hidden_size = 256;    ///< rnn: hidden size per direction
  bool bidirectional = true;    ///< rnn
  int64_t d_model = 256;        ///< transformer model size
  int64_t heads = 4;            ///< transformer self-attention heads
  int64_t ff = 1024;            ///< transformer feed-forward size
  double dropout = 0.1;
  std::string norm = "pre";  ///< transformer: pre | post layer norm
};

struct DecoderConfig {
  std::string type = "transformer";          ///< transformer | rnn
  std::string attention = "multihead";       ///< cross-attention, one of attention_names()
  std::string attention_placement = "auto";  ///< rnn: bahdanau | luong | auto (bahdanau for the
                                             ///< bahdanau attention, luong otherwise)
  bool input_feeding = true;                 ///< rnn, luong placement: feed h~ into the next step
  std::string rnn_type = "gru";
  int64_t layers = 3;
  int64_t embedding_dim = 256;  ///< rnn
  int64_t hidden_size = 512;    ///< rnn
  int64_t d_model = 256;        ///< transformer
  int64_t heads = 4;            ///< transformer self-attn heads, and multihead cross-attn heads
  int64_t ff = 1024;            ///< transformer
  double dropout = 0.1;
  double attention_dropout = 0.1;  ///< dropout on multihead attention weights
  int64_t window = 10;             ///< local-m / local-p half-width D
  std::string norm = "pre";        ///< transformer: pre | post
  bool tie_embeddings = false;     ///< decoder input embedding shares the output projection
};

/// The cross-attention config a decoder builds (models/transformer.cpp, models/rnn_decoder.cpp):
/// query = the decoder's size, keys/values = the encoder's output size enc_dim, hidden size =
/// query_dim, heads/dropout/window from dec (heads is used only by types with several heads).
/// Defined with the attention table (models/attention/registry.cpp).
AttentionConfig cross_attention_config(const DecoderConfig& dec, int64_t query_dim,
                                       int64_t enc_dim);

struct ModelConfig {
  EncoderConfig encoder;
  DecoderConfig decoder;
  bool tie_all_embeddings = false;  ///< encoder, decoder input and output share one matrix
                                    ///< (needs a joint vocabulary)
};

}  // namespace tinynmt
