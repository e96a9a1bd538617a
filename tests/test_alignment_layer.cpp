// Alignment layer (models/alignment_layer.h, train/alignment_training.h): the attention and its
// context by hand, masking, its place in forced decoding, and the checkpoint round trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "decode/forced_decode.h"
#include "decode/search.h"
#include "decode/translator.h"
#include "models/alignment_layer.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "run/checkpoint.h"
#include "run/load_model.h"
#include "run/run_dir.h"
#include "tiny_configs.h"
#include "train/alignment_training.h"

using namespace tinynmt;
namespace fs = std::filesystem;

namespace {

ModelConfig tiny_transformer() { return test_configs::tiny_transformer(8, 16, 2, 2); }

}  // namespace

TEST(AlignmentLayer, WeightsAndContextByHand) {
  torch::manual_seed(5);
  AlignmentLayerOptions o;
  o.query_dim = 4;
  o.key_dim = 6;
  o.value_dim = 3;
  o.output_dim = 5;
  o.hidden_dim = 7;
  AlignmentLayer layer(o);
  auto f = torch::randn({2, 3, 4}), h = torch::randn({2, 4, 6}), e = torch::randn({2, 4, 3});
  auto mask = torch::tensor({1, 1, 1, 1, 1, 1, 0, 0}, torch::kBool).reshape({2, 4});
  auto out = layer->forward(f, h, e, mask);
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{2, 3, 5}));
  auto params = layer->named_parameters();
  auto q = torch::matmul(f, params["query.weight"].t()) + params["query.bias"];  // [2, 3, 7]
  auto k = torch::matmul(h, params["key.weight"].t()) + params["key.bias"];      // [2, 4, 7]
  auto v = torch::matmul(e, params["value.weight"].t());                         // [2, 4, 5]
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t len = b == 0 ? 4 : 2;
    for (int64_t t = 0; t < 3; ++t) {
      auto s = (k[b].narrow(0, 0, len) * q[b][t]).sum(1) / std::sqrt(7.0);  // [len]
      auto a = torch::softmax(s, 0);
      EXPECT_TRUE(torch::allclose(out.weights[b][t].narrow(0, 0, len), a, 1e-5, 1e-6));
      if (len < 4) {
        EXPECT_EQ(out.weights[b][t].narrow(0, len, 4 - len).abs().sum().item<float>(), 0.f);
      }
      auto c = (a.unsqueeze(1) * v[b].narrow(0, 0, len)).sum(0);  // [5]
      EXPECT_TRUE(torch::allclose(out.context[b][t], c, 1e-5, 1e-6));
    }
  }
  EXPECT_THROW(layer->forward(f, h, torch::randn({2, 4, 2}), mask), std::invalid_argument);
  EXPECT_THROW(layer->forward(f, h, e, mask.narrow(1, 0, 3)), std::invalid_argument);
  o.hidden_dim = 0;
  EXPECT_THROW(AlignmentLayer{o}, std::invalid_argument);
}

TEST(AlignmentLayer, AppendedAsLastLayerOfForcedDecoding) {
  torch::manual_seed(6);
  auto model = make_seq2seq(tiny_transformer(), 20, 20);
  model->eval();
  auto layer = make_alignment_layer(*model);
  EXPECT_EQ(layer->options().query_dim, 8);
  EXPECT_EQ(layer->options().value_dim, 8);
  auto src =
      torch::tensor(std::vector<int64_t>{5, 6, 7, kEosId, 8, 9, kEosId, kPadId}).reshape({2, 4});
  auto mask = src.ne(kPadId);
  auto [tgt_in, tgt_out] =
      decode::teacher_forcing_batch({{10, 11, kEosId}, {12, kEosId}}, torch::kCPU);
  auto plain = decode::forced_decode(*model, src, mask, tgt_in, tgt_out);
  auto with = decode::forced_decode(*model, src, mask, tgt_in, tgt_out, {layer.ptr().get()});
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(with[i].attention.size(0), plain[i].attention.size(0) + 1);
    const int64_t L = plain[i].attention.size(0);
    EXPECT_TRUE(torch::equal(with[i].attention.narrow(0, 0, L), plain[i].attention));
    EXPECT_NEAR(with[i].score, plain[i].score, 1e-5);  // the translation is untouched
    // The appended layer is the alignment layer's weights, one head repeated.
    auto last = with[i].attention[L];  // [H, T, S]
    EXPECT_TRUE(torch::equal(last[0], last[1]));
    EXPECT_TRUE(torch::allclose(last[0].sum(1), torch::ones({last.size(1)}), 1e-5, 1e-6));
  }
  {
    torch::NoGradGuard no_grad;
    auto r = model->forward_features(src, tgt_in);
    auto a = layer->attend(*model, src, r);
    // No weight on the source EOS (positions 3 and 2) nor on padding.
    EXPECT_EQ(a.weights[0].select(1, 3).abs().sum().item<float>(), 0.f);
    EXPECT_EQ(a.weights[1].narrow(1, 2, 2).abs().sum().item<float>(), 0.f);
    const int64_t L = plain[1].attention.size(0);
    EXPECT_TRUE(torch::allclose(with[1].attention[L][0],
                                a.weights[1].narrow(0, 0, 2).narrow(1, 0, 3), 1e-6, 1e-7));
  }
}

TEST(AlignmentLayer, KeyMaskDropsEosUnlessAlone) {
  auto src =
      torch::tensor(std::vector<int64_t>{5, 6, kEosId, kEosId, kPadId, kPadId}).reshape({2, 3});
  auto m = alignment_key_mask(src, src.ne(kPadId));
  EXPECT_TRUE(torch::equal(m, torch::tensor({1, 1, 0, 1, 0, 0}, torch::kBool).reshape({2, 3})));
}

TEST(AlignmentLayer, CheckpointRoundTripAndMissingFile) {
  torch::manual_seed(7);
  LoadedModel loaded;
  loaded.model = make_seq2seq(tiny_transformer(), 20, 20);
  loaded.model->eval();
  const auto dir = fs::temp_directory_path() / "tinynmt_alignment_layer_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = RunDir{dir.string()}.alignment_layer_checkpoint();
  try {
    load_alignment_layer(loaded, path);
    FAIL() << "no exception for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  auto layer = make_alignment_layer(*loaded.model);
  save_checkpoint(path, *layer, nullptr, TrainState{}, "test");
  auto back = load_alignment_layer(loaded, path);
  auto a = layer->named_parameters(), b = back->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  fs::remove_all(dir);
}
