#include "bench/report.h"

#include <fmt/format.h>

#include <filesystem>

namespace tinynmt::bench {
namespace {

namespace fs = std::filesystem;

nlohmann::json search_json(const SearchFigures& s) {
  return {{"sentences", s.sentences},
          {"tokens", s.tokens},
          {"seconds", s.seconds},
          {"sentences_per_s", s.sentences_per_s},
          {"tokens_per_s", s.tokens_per_s}};
}

nlohmann::json peak_json(const SgemmFigures& p) {
  return {{"device", p.device},           {"dtype", p.dtype},  {"n", p.n}, {"repeats", p.repeats},
          {"median_s", p.median_seconds}, {"gflops", p.gflops}};
}

nlohmann::json kernels_json(const KernelProfile& k) {
  if (!k.measured) return {{"measured", false}, {"reason", k.reason}};
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [name, ms] : k.top) top.push_back({{"name", name}, {"ms_per_step", ms}});
  return {{"measured", true},
          {"steps", k.steps},
          {"wall_ms", k.wall_ms},
          {"kernels", k.kernels},
          {"kernel_ms", k.kernel_ms},
          {"busy_ms", k.busy_ms},
          {"gemm_ms", k.gemm_ms},
          {"mean_kernel_us", k.mean_kernel_us},
          {"busy_pct", k.busy_pct},
          {"gemm_pct_of_busy", k.gemm_pct_of_busy},
          {"top", top}};
}

}  // namespace

nlohmann::json to_json(const BenchReport& r) {
  nlohmann::json j;
  j["machine"] = {{"threads", r.threads},
                  {"threads_bound", r.threads_bound},
                  {"sgemm_gflops", r.sgemm.gflops},
                  {"sgemm_n", r.sgemm.n},
                  {"sgemm_repeats", r.sgemm.repeats},
                  {"sgemm_median_s", r.sgemm.median_seconds},
                  {"torch_version", r.build.torch_version},
                  {"cuda_compiled", r.build.cuda_compiled},
                  {"cuda_version", r.build.cuda_version},
                  {"cuda_devices", r.build.cuda_devices},
                  {"tinynmt_version", r.build.tinynmt_version},
                  {"date", r.date}};
  j["machine"]["device_peaks"] = nlohmann::json::array();
  for (const auto& p : r.device_peaks) j["machine"]["device_peaks"].push_back(peak_json(p));
  j["configs"] = nlohmann::json::array();
  for (const auto& c : r.configs) {
    nlohmann::json cj = {{"config", c.config}};
    if (!c.error.empty()) {
      cj["error"] = c.error;
      j["configs"].push_back(cj);
      continue;
    }
    cj["model"] = c.model;
    cj["device"] = c.device;
    cj["parameters"] = c.parameters;
    cj["src_vocab"] = c.src_vocab;
    cj["tgt_vocab"] = c.tgt_vocab;
    const auto& t = c.training;
    cj["training"] = {{"data", t.data},
                      {"steps", t.steps},
                      {"warmup", t.warmup},
                      {"tokens_per_s", t.tokens_per_s},
                      {"model_gflops", t.model_gflops},
                      {"pct_of_sgemm_peak", t.pct_of_sgemm_peak},
                      {"peak", t.peak},
                      {"precision", t.precision},
                      {"pct_of_paired_sgemm", t.pct_of_paired_sgemm},
                      {"paired_sgemm_gflops", t.paired_sgemm_gflops},
                      {"step_model_gflops", t.step_model_gflops},
                      {"step_sgemm_gflops", t.step_sgemm_gflops},
                      {"padding_ratio", t.padding_ratio},
                      {"src_padding_ratio", t.src_padding_ratio},
                      {"tgt_padding_ratio", t.tgt_padding_ratio},
                      {"step_seconds", t.step_seconds},
                      {"phase_seconds",
                       {{"batch", t.batch_seconds},
                        {"forward", t.forward_seconds},
                        {"backward", t.backward_seconds},
                        {"clip", t.clip_seconds},
                        {"optimizer", t.optimizer_seconds}}},
                      {"tokens_per_step", t.tokens_per_step},
                      {"gflop_per_step", t.gflop_per_step},
                      {"peak_rss_mb", t.peak_rss_mb},
                      {"peak_rss_scope", t.peak_rss_scope},
                      {"last_loss", t.last_loss}};
    if (!t.profile.empty()) cj["training"]["profile"] = t.profile;
    if (t.kernels.measured || !t.kernels.reason.empty())
      cj["training"]["kernel_profile"] = kernels_json(t.kernels);
    if (c.decoding.measured) {
      const auto& d = c.decoding;
      cj["decoding"] = {{"data", d.data},
                        {"weights", d.weights},
                        {"batch_size", d.batch_size},
                        {"greedy", search_json(d.greedy)},
                        {"beam5", search_json(d.beam5)}};
    }
    j["configs"].push_back(cj);
  }
  return j;
}

std::string format_table(const BenchReport& r) {
  std::string out = fmt::format(
      "sgemm {}x{} float32, {} threads{}: {:.1f} GFLOP/s (median of {}); LibTorch {}{}, {}\n",
      r.sgemm.n, r.sgemm.n, r.threads, r.threads_bound ? " (bound to CPUs)" : "", r.sgemm.gflops,
      r.sgemm.repeats, r.build.torch_version,
      r.build.cuda_compiled
          ? fmt::format(" with CUDA {} ({} devices)", r.build.cuda_version, r.build.cuda_devices)
          : std::string(" (CPU only)"),
      r.date);
  for (const auto& p : r.device_peaks)
    out += fmt::format("matmul {}x{} {} on {}: {:.1f} GFLOP/s (median of {})\n", p.n, p.n, p.dtype,
                       p.device, p.gflops, p.repeats);
  out += fmt::format(
      "{:<44} {:>9} {:>10} {:>8} {:>6} {:>6} {:>6} {:>8} | {:>9} {:>9} | {:>9} {:>9} {}\n",
      "config (training data)", "train", "tok/s", "GFLOP/s", "%peak", "%pair", "pad%", "RSS MB",
      "greedy/s", "tok/s", "beam5/s", "tok/s", "weights");
  for (const auto& c : r.configs) {
    std::string name = fs::path(c.config).stem().string();
    if (!c.error.empty()) {
      out += fmt::format("{:<44} error: {}\n", name, c.error);
      continue;
    }
    const auto& t = c.training;
    out += fmt::format("{:<44} {:>9} {:>10.0f} {:>8.1f} {:>6.1f} {:>6.1f} {:>6.1f} {:>8.0f}", name,
                       t.data, t.tokens_per_s, t.model_gflops, t.pct_of_sgemm_peak,
                       t.pct_of_paired_sgemm, 100 * t.padding_ratio, t.peak_rss_mb);
    const auto& d = c.decoding;
    if (d.measured)
      out += fmt::format(" | {:>9.1f} {:>9.0f} | {:>9.1f} {:>9.0f} {} ({} dev, {} sentences)\n",
                         d.greedy.sentences_per_s, d.greedy.tokens_per_s, d.beam5.sentences_per_s,
                         d.beam5.tokens_per_s, d.weights, d.data, d.greedy.sentences);
    else
      out += " | decoding not measured\n";
  }
  return out;
}

}  // namespace tinynmt::bench
