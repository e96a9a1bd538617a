// models/int8_linear: int8 weights per output channel with LibTorch's dynamic-quantisation
// kernels. The quantised weights are the rounded float32 ones; products stay close to float32;
// under oneDNN the padded input (grid range, bucketed rows) gives back each row; stacking equals
// the layers side by side; a Transformer decodes with int8 weights close to its
// float32 log-probs; a copy model trained here still copies with int8 weights (greedy and beam).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "decode/search.h"
#include "models/int8_linear.h"
#include "models/seq2seq.h"
#include "models/special_ids.h"
#include "synthetic_tasks.h"

namespace tinynmt {
namespace {

#define SKIP_WITHOUT_INT8()                                \
  do {                                                     \
    std::string why;                                       \
    if (!int8_linear_supported(&why)) GTEST_SKIP() << why; \
  } while (0)

TEST(Int8Linear, WeightsAreRoundedPerOutputChannel) {
  SKIP_WITHOUT_INT8();
  torch::manual_seed(0);
  auto w = torch::randn({16, 24}) * torch::linspace(0.01, 3.0, 16).unsqueeze(1);  // rows differ
  Int8Linear q(w, torch::randn({16}));
  auto scale = w.abs().amax(1, /*keepdim=*/true) / 127.0;  // [16, 1]
  auto expected = torch::round(w / scale) * scale;
  auto got = q.dequantized_weight();
  EXPECT_TRUE(torch::allclose(got, expected, 1e-6, 1e-7)) << (got - expected).abs().max();
  EXPECT_GT((got - w).abs().max().item<float>(), 0.0f);  // really quantised
  EXPECT_TRUE(((got - w).abs() <= scale / 2 + 1e-7).all().item<bool>());
  EXPECT_THROW(Int8Linear(w.to(torch::kDouble), {}), std::invalid_argument);
  EXPECT_THROW(Int8Linear(w, torch::zeros({3})), std::invalid_argument);
  EXPECT_THROW(q(torch::randn({2, 23})), std::invalid_argument);
}

TEST(Int8Linear, ProductsStayCloseToFloat32AndKeepTheInputShape) {
  SKIP_WITHOUT_INT8();
  torch::manual_seed(1);
  auto w = torch::randn({64, 32}) / std::sqrt(32.0);
  auto b = torch::randn({64});
  auto x = torch::randn({3, 5, 32});
  auto y = torch::nn::functional::linear(x, w, b);
  auto yq = Int8Linear(w, b)(x);
  ASSERT_EQ(yq.sizes(), y.sizes());
  const double rel = ((yq - y).norm() / y.norm()).item<double>();
  EXPECT_LT(rel, 0.02) << "relative error " << rel;  // 8-bit weights and inputs: ~0.5% expected
  EXPECT_GT(rel, 0.0);
}

TEST(Int8Linear, PaddedInputHasAGridRangeAndBucketedRows) {
  EXPECT_FLOAT_EQ(int8_input_range(1.0f), 1.0f);
  EXPECT_FLOAT_EQ(int8_input_range(1.1f), std::exp2(0.25f));
  EXPECT_FLOAT_EQ(int8_input_range(3.0f), std::exp2(1.75f));  // 3.36: 2^1.5 = 2.83 < 3
  for (float a : {1e-3f, 0.3f, 0.77f, 5.0f, 123.4f}) {
    const float r = int8_input_range(a);
    EXPECT_GE(r, a);
    EXPECT_LT(r, a * std::exp2(0.25f) * 1.0001f);
  }
  const std::vector<std::pair<int64_t, int64_t>> buckets{
      {0, 8}, {7, 8}, {8, 12}, {11, 12}, {12, 16}, {23, 24}, {24, 32}, {319, 384}, {383, 384}};
  for (const auto& [rows, bucket] : buckets) EXPECT_EQ(int8_row_bucket(rows), bucket) << rows;
  for (int64_t rows = 7; rows < 2000; ++rows) {
    EXPECT_GE(int8_row_bucket(rows), rows + 1);
    EXPECT_LE(int8_row_bucket(rows), (rows + 1) * 3 / 2) << rows;
  }
  torch::manual_seed(3);
  auto x = torch::randn({5, 4});
  auto padded = int8_padded_input(x);
  const float r = int8_input_range(x.abs().max().item<float>());
  ASSERT_EQ(padded.sizes(), (std::vector<int64_t>{8, 4}));
  EXPECT_TRUE(torch::equal(padded.narrow(0, 0, 5), x));
  EXPECT_TRUE(torch::equal(padded[5], torch::tensor({r, -r, 0.0f, 0.0f})));
  EXPECT_TRUE(torch::equal(padded.narrow(0, 6, 2), torch::zeros({2, 4})));
  EXPECT_FLOAT_EQ(padded.max().item<float>(), r);
  EXPECT_FLOAT_EQ(padded.min().item<float>(), -r);
}

// Switches LibTorch's quantized engine for one scope and restores it on every exit, a failed
// ASSERT's early return included, so later tests in this binary run under the default engine.
class QEngineGuard {
 public:
  explicit QEngineGuard(at::QEngine engine) : before_(at::globalContext().qEngine()) {
    at::globalContext().setQEngine(engine);
  }
  ~QEngineGuard() { at::globalContext().setQEngine(before_); }
  QEngineGuard(const QEngineGuard&) = delete;
  QEngineGuard& operator=(const QEngineGuard&) = delete;

 private:
  at::QEngine before_;
};

// Under the oneDNN engine the input is padded (int8_padded_input): every row count gives back
// its own rows, close to float32.
TEST(Int8Linear, PaddedProductsGiveBackEachRowUnderOneDnn) {
  SKIP_WITHOUT_INT8();
  const auto engines = at::globalContext().supportedQEngines();
  if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) == engines.end())
    GTEST_SKIP() << "this LibTorch has no oneDNN quantized engine";
  const QEngineGuard onednn(at::QEngine::ONEDNN);
  torch::manual_seed(4);
  auto w = torch::randn({48, 32}) / std::sqrt(32.0);
  auto b = torch::randn({48});
  Int8Linear q(w, b);
  for (int64_t rows : {1, 7, 8, 33, 100}) {
    auto x = torch::randn({rows, 32}) * (1.0 + rows / 10.0);
    auto y = torch::nn::functional::linear(x, w, b);
    auto yq = q(x);
    ASSERT_EQ(yq.sizes(), y.sizes());
    const auto rel = ((yq - y).norm(2, {1}) / y.norm(2, {1})).max().item<double>();
    EXPECT_LT(rel, 0.03) << rows << " rows: worst row's relative error " << rel;
  }
}

TEST(Int8Linear, StackedEqualsTheLayersSideBySide) {
  SKIP_WITHOUT_INT8();
  torch::manual_seed(2);
  auto w1 = torch::randn({8, 16}), w2 = torch::randn({12, 16});
  auto b1 = torch::randn({8});
  auto x = torch::randn({4, 16});
  auto stacked = Int8Linear::stacked({w1, w2}, {b1, torch::Tensor()});
  EXPECT_EQ(stacked.out_features(), 20);
  // Per-channel scales: each row is quantised as in its own layer.
  auto apart = torch::cat({Int8Linear(w1, b1).dequantized_weight(),
                           Int8Linear(w2, torch::Tensor()).dequantized_weight()},
                          0);
  EXPECT_TRUE(torch::equal(stacked.dequantized_weight(), apart));
  auto y = stacked(x);
  auto ref = torch::cat(
      {torch::nn::functional::linear(x, w1, b1), torch::nn::functional::linear(x, w2)}, -1);
  EXPECT_LT(((y - ref).norm() / ref.norm()).item<double>(), 0.02);
}

TEST(Int8Model, TransformerStepsStayCloseToFloat32AndRnnQuantisesItsOutputLayer) {
  SKIP_WITHOUT_INT8();
  torch::manual_seed(3);
  auto model =
      make_seq2seq(synthetic::transformer("multihead"), synthetic::kVocab, synthetic::kVocab);
  model->eval();
  torch::NoGradGuard no_grad;
  std::mt19937 rng(3);
  auto b = synthetic::make_batch(rng, 6, false);
  auto steps = [&](Seq2SeqImpl& m) {
    auto state = m.init_state(m.encode(b.src, b.src.ne(kPadId)));
    std::vector<torch::Tensor> lp;
    for (int64_t t = 0; t < 4; ++t)
      lp.push_back(m.decode_step(b.tgt_in.select(1, t), state).log_probs);
    return torch::stack(lp, 1);  // [batch, 4, vocab]
  };
  auto fp32 = steps(*model);
  // 1 decoder layer: self-attention q, out, kv, qkv; cross-attention q, out, kv; ff 2; output 1.
  EXPECT_EQ(model->quantize_int8(0),
            "10 of 10 products (output layer and decoder) in int8, those with >= 0 weights");
  auto int8 = steps(*model);
  const float diff = (int8 - fp32).abs().max().item<float>();
  EXPECT_GT(diff, 0.0f);  // the int8 products are in use
  EXPECT_LT(diff, 0.1f);
  auto rnn = make_seq2seq(synthetic::rnn("bahdanau"), synthetic::kVocab, synthetic::kVocab);
  EXPECT_EQ(rnn->quantize_int8(0),
            "1 of 1 products (output layer; this decoder keeps float32) in int8, those with >= 0 "
            "weights");
  // The default keeps products below kInt8MinWeights (all of this 64-wide model) in float32.
  auto small =
      make_seq2seq(synthetic::transformer("multihead"), synthetic::kVocab, synthetic::kVocab);
  EXPECT_EQ(small->quantize_int8(),
            "0 of 10 products (output layer and decoder) in int8, those with >= 524288 weights");
}

TEST(Int8Model, ACopyModelStillCopiesWithInt8Weights) {
  SKIP_WITHOUT_INT8();
  using namespace synthetic;
  torch::set_num_threads(1);
  torch::manual_seed(1);
  std::mt19937 rng(1);
  auto model = make_seq2seq(transformer("multihead"), kVocab, kVocab);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  for (int64_t step = 0; step < 500; ++step)
    train_step(*model, adam, make_batch(rng, 32, /*reverse=*/false));
  model->eval();
  const auto test = make_batch(rng, 100, /*reverse=*/false);
  auto mask = test.src.ne(kPadId);
  auto copied = [&](const std::vector<decode::Hypothesis>& hyps) {
    int64_t n = 0;
    for (size_t i = 0; i < hyps.size(); ++i) {
      std::vector<int64_t> want(test.lengths[i]);
      for (int64_t j = 0; j < test.lengths[i]; ++j) want[j] = test.src[i][j].item<int64_t>();
      want.push_back(kEosId);
      n += hyps[i].tokens == want;
    }
    return n;
  };
  decode::SearchOptions beam;
  beam.beam = 5;
  beam.max_lens = std::vector<int64_t>(100, kMaxLen + 4);
  auto best = [](std::vector<std::vector<decode::Hypothesis>> lists) {
    std::vector<decode::Hypothesis> out;
    for (auto& l : lists) out.push_back(l.front());
    return out;
  };
  const int64_t fp32_greedy = copied(decode::greedy_search(*model, test.src, mask, kMaxLen + 4));
  model->quantize_int8(0);
  const int64_t int8_greedy = copied(decode::greedy_search(*model, test.src, mask, kMaxLen + 4));
  const int64_t int8_beam = copied(best(decode::beam_search(*model, test.src, mask, beam)));
  std::cout << "[ int8 ] copy task, 100 lines copied exactly: float32 greedy " << fp32_greedy
            << ", int8 greedy " << int8_greedy << ", int8 beam 5 " << int8_beam << "\n";
  EXPECT_GE(fp32_greedy, 90);
  EXPECT_GE(int8_greedy, fp32_greedy - 3);
  EXPECT_GE(int8_beam, fp32_greedy - 3);
}

}  // namespace
}  // namespace tinynmt
