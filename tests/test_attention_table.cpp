// The attention table (models/attention/registry.h): every row builds, its heads and output size
// match the module, its FLOP formula gives the numbers bench has always counted, its size rules
// throw AttentionError naming the parameter; and attend()/precompute() reject bad shapes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "models/attention/attention_error.h"
#include "models/attention/registry.h"
#include "models/flop_count.h"
#include "models/model_config.h"

namespace tinynmt {
namespace {

AttentionConfig table_config(const std::string& name) {
  AttentionConfig c;
  c.type = name;
  c.query_dim = name == "luong-dot" ? 8 : 6;
  c.key_dim = 8;
  c.value_dim = 10;
  c.hidden_dim = name == "multihead" ? 12 : 4;
  c.heads = 3;
  c.window = 2;
  return c;
}

TEST(AttentionTable, RowsFollowTheNamesAndMatchTheBuiltModule) {
  ASSERT_EQ(attention_types().size(), attention_names().size());
  for (size_t i = 0; i < attention_types().size(); ++i) {
    const auto& row = attention_types()[i];
    EXPECT_EQ(row.name, attention_names()[i]);
    const auto cfg = resolve_sizes(table_config(row.name));
    auto att = make_attention(cfg);
    EXPECT_EQ(att->heads(), row.heads(cfg)) << row.name;
    EXPECT_EQ(att->heads(), row.name == "multihead" ? 3 : 1) << row.name;
    EXPECT_EQ(att->output_dim(), row.output_dim(cfg)) << row.name;
    EXPECT_EQ(att->query_dim(), cfg.query_dim) << row.name;
    EXPECT_NO_THROW(row.check_sizes(cfg)) << row.name;
  }
}

// The FLOP counts bench printed before the formulas moved into models/ (q 6, k 8, v 10, a 4;
// multihead m 12; luong-dot q 8), for S = 7 keys and T = 5 queries.
TEST(AttentionTable, FlopsEqualTheOldFormulas) {
  const double S = 7, T = 5, P = S * T;
  auto mm = [](int64_t m, int64_t k, int64_t n) { return matmul_flops(m, k, n); };
  const double general = S * mm(1, 8, 6) + 2.0 * P * 6 + 2.0 * P * 10;
  const double additive = S * mm(1, 8, 4) + T * mm(1, 6, 4) + P * mm(1, 4, 1) + 2.0 * P * 10;
  const std::vector<std::pair<std::string, double>> expected = {
      {"bahdanau", additive},
      {"luong-dot", 2.0 * P * 8 + 2.0 * P * 10},
      {"luong-general", general},
      {"luong-concat", additive},
      {"local-m", general},
      {"local-p", general + T * (mm(1, 6, 4) + mm(1, 4, 1))},
      {"multihead", S * (mm(1, 8, 12) + mm(1, 10, 12)) + T * (mm(1, 6, 12) + mm(1, 12, 12)) +
                        2.0 * 2.0 * P * 12}};
  ASSERT_EQ(expected.size(), attention_types().size());
  for (const auto& [name, flops] : expected) {
    const auto cfg = resolve_sizes(table_config(name));
    EXPECT_EQ(attention_type(name).flops(cfg, 7, 5), flops) << name;
  }
  EXPECT_EQ(
      attention_type("luong-general").flops(resolve_sizes(table_config("luong-general")), 7, 5),
      1792.0);  // 7·96 + 2·35·6 + 2·35·10, by hand
}

std::string parameter_of(const AttentionConfig& c) {
  try {
    check_attention(c);
  } catch (const AttentionError& e) {
    EXPECT_EQ(std::string(e.what()).find("model."), std::string::npos) << e.what();
    return e.parameter();
  }
  return "(no error)";
}

TEST(AttentionTable, SizeRulesNameTheParameterNotAYamlKey) {
  auto c = table_config("luong-dot");
  c.query_dim = 6;
  EXPECT_EQ(parameter_of(c), "query_dim");
  c = table_config("multihead");
  c.heads = 5;  // does not divide 12
  EXPECT_EQ(parameter_of(c), "heads");
  c = table_config("local-m");
  c.window = 0;
  EXPECT_EQ(parameter_of(c), "window");
  c = table_config("nope");
  EXPECT_EQ(parameter_of(c), "type");
  EXPECT_THROW(attention_type("nope"), AttentionError);
  c = table_config("bahdanau");
  c.heads = 5;  // ignored by single-head types
  EXPECT_EQ(parameter_of(c), "(no error)");
}

std::string attend_error(const std::string& name, std::vector<int64_t> q, std::vector<int64_t> k,
                         torch::Tensor mask, AttentionExtras extras = {}) {
  auto att = make_attention(table_config(name));
  auto cache = att->precompute(torch::randn(k), torch::randn({k[0], k[1], 10}));
  try {
    att->attend(torch::randn(q), cache, mask, extras);
  } catch (const AttentionError& e) {
    return e.what();
  }
  return "";
}

TEST(AttendChecks, EachKindOfMismatchIsNamed) {
  for (const std::string name : {"bahdanau", "local-p", "multihead"}) {
    EXPECT_EQ(attend_error(name, {2, 3, 6}, {2, 4, 8}, torch::ones({2, 1, 4}, torch::kBool)), "")
        << name;
    auto batch = attend_error(name, {3, 1, 6}, {2, 4, 8}, {});
    EXPECT_NE(batch.find("batch 3 vs 2"), std::string::npos) << batch;
    auto qdim = attend_error(name, {2, 1, 7}, {2, 4, 8}, {});
    EXPECT_NE(qdim.find("query_dim expected 6"), std::string::npos) << qdim;
    auto rank = attend_error(name, {2, 6}, {2, 4, 8}, {});
    EXPECT_NE(rank.find("[batch, tgt_len, query_dim]"), std::string::npos) << rank;
    auto mask = attend_error(name, {2, 3, 6}, {2, 4, 8}, torch::ones({2, 1, 5}, torch::kBool));
    EXPECT_NE(mask.find("mask [2, 1, 5] does not broadcast to [2, 3, 4]"), std::string::npos)
        << mask;
    auto mask_rows = attend_error(name, {2, 3, 6}, {2, 4, 8}, torch::ones({2, 2, 4}, torch::kBool));
    EXPECT_NE(mask_rows.find("does not broadcast"), std::string::npos) << mask_rows;
    AttentionExtras ex;
    ex.positions = torch::arange(2);
    auto pos = attend_error(name, {2, 3, 6}, {2, 4, 8}, {}, ex);
    EXPECT_NE(pos.find("positions [2] expected 3"), std::string::npos) << pos;
  }
}

TEST(AttendChecks, PrecomputeNamesKeyAndValueSizes) {
  auto att = make_attention(table_config("luong-general"));
  try {
    att->precompute(torch::randn({2, 4, 9}), torch::randn({2, 4, 10}));
    FAIL() << "no exception";
  } catch (const AttentionError& e) {
    EXPECT_NE(std::string(e.what()).find("key_dim expected 8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(att->precompute(torch::randn({2, 4, 8}), torch::randn({2, 5, 10})),
               AttentionError);  // src_len 4 vs 5
  EXPECT_THROW(att->precompute(torch::randn({4, 8}), torch::randn({4, 10})), AttentionError);
}

}  // namespace
}  // namespace tinynmt
