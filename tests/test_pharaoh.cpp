// align/pharaoh: the Pharaoh format (i-j pairs) round trip and its parse errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "align/pharaoh.h"
#include "temp_files.h"

namespace {

using namespace tinynmt::align;

std::string temp_path(const std::string& name) {
  return tinynmt::test_files::temp_file("align", name);
}

TEST(Pharaoh, RoundTripThroughAFile) {
  const std::vector<Alignment> sents = {{{0, 0}, {1, 2}, {2, 1}}, {}, {{5, 3}}};
  EXPECT_EQ(format_pharaoh(sents[0]), "0-0 1-2 2-1");
  const std::string path = temp_path("rt.align");
  write_pharaoh_file(path, sents);
  EXPECT_EQ(read_pharaoh_file(path), sents);
  std::remove(path.c_str());
}

TEST(Pharaoh, ParsesOneBasedAndRejectsGarbage) {
  EXPECT_EQ(parse_pharaoh("1-1 3-2", /*one_based=*/true), (Alignment{{0, 0}, {2, 1}}));
  EXPECT_THROW(parse_pharaoh("0-0", true), std::runtime_error);
  EXPECT_THROW(parse_pharaoh("0-", false), std::runtime_error);
  EXPECT_THROW(parse_pharaoh("a-1", false), std::runtime_error);
  EXPECT_THROW(format_pharaoh({{-1, 0}}), std::invalid_argument);
}

}  // namespace
