// The run directory (config run.dir): the one place that names the files a run keeps there.
// The trainer writes them, `translate`, `align`, `bench` and `train --resume` read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinynmt {

/// A run directory and the names of its files. Every accessor returns PATH/NAME (joined as
/// std::filesystem::path does) and touches no file.
struct RunDir {
  std::string path;  ///< the directory, as given (e.g. runs/multi30k_transformer)

  std::string config_file() const;   ///< config.yaml: the resolved config of the run
  std::string metrics_file() const;  ///< metrics.jsonl: one JSON record per log step/validation
  std::string curves_image() const;  ///< curves.png: loss and BLEU over steps
  std::string averaged_checkpoint() const;  ///< averaged.ckpt: `tinynmt average` (run/average.h)
  std::string report_page() const;  ///< report.html: curves and attention at each validation
  /// report_attention.jsonl: the report sentences' attention records, one per line, each with
  /// the "step" of its validation
  std::string report_attention() const;
  std::string last_checkpoint() const;  ///< last.ckpt: written at every validation and at the end
  std::string best_checkpoint() const;  ///< best.ckpt: the best validation so far
  /// .lock: held (flock) by the trainer that writes the directory (run/run_lock.h)
  std::string lock_file() const;
  /// step_N.ckpt: a numbered model checkpoint (no optimiser state) of step `step`.
  std::string step_checkpoint(int64_t step) const;
  /// alignment_layer.ckpt: where `tinynmt train-alignment-layer` writes by default and
  /// `tinynmt align --alignment-layer` reads.
  std::string alignment_layer_checkpoint() const;
  /// The SentencePiece model files (data/tokenizer.h kJointSpmModel, kSrcSpmModel, kTgtSpmModel):
  /// spm.model (joint vocabulary), spm.src.model and spm.tgt.model (separate vocabularies).
  std::string joint_spm_model() const;
  std::string src_spm_model() const;
  std::string tgt_spm_model() const;

  /// The step of a file name written by step_checkpoint ("step_12.ckpt" -> 12); nullopt for any
  /// other name. Throws std::invalid_argument / std::out_of_range (std::stoll) when the part
  /// between "step_" and ".ckpt" is not a number.
  static std::optional<int64_t> step_of_checkpoint(const std::string& file_name);

  /// Removes the temporary files that an interrupted write left in the directory: NAME.tmp and
  /// NAME.tmpPID, written before their rename to NAME (checkpoints, pages, SentencePiece copies).
  /// Call it only while holding the directory's lock (run/run_lock.h): a live writer's file
  /// would go too. Returns the names removed. Throws std::filesystem::filesystem_error when the
  /// directory cannot be listed.
  std::vector<std::string> remove_interrupted_writes() const;
};

}  // namespace tinynmt
