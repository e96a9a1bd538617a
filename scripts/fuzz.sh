#!/usr/bin/env bash
# Fuzzes every reader of user files with libFuzzer, SECONDS per target, in the address-sanitizer
# build (scripts/sanitize.sh address --build-only; build-asan/):
#
#   scripts/fuzz.sh 60                 # each target for 60 s (what CI runs)
#   scripts/fuzz.sh 600 fuzz_config    # one target for 10 minutes
#
# Targets (fuzz/fuzz_*.cpp): the YAML config with a --set override, the parallel corpus reader,
# the attention JSONL reader, the Pharaoh and gold alignment readers, the .npy reader and the
# checkpoint loader. Seeds come from the repository: configs/, the toy corpus, and the files of a
# 30-step toy run trained, translated and aligned by the instrumented build itself. Each target's
# corpus grows in build-asan/fuzz/corpus/NAME across runs; a finding stops the run with the input
# in build-asan/fuzz/findings/ (keep it in tests/fuzz_regressions/TARGET/, replayed before each
# run, and add a unit test: docs/reliability.md). Prints, per
# target, the executions per second and the coverage reached; exit 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
build="${TINYNMT_ASAN_BUILD:-build-asan}"
# TINYNMT_FUZZ_NO_BUILD=1 fuzzes the binaries already in the build as they are.
[ "${TINYNMT_FUZZ_NO_BUILD:-0}" = 1 ] || bash scripts/sanitize.sh address --build-only
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_config fuzz_corpus fuzz_attention_jsonl fuzz_alignment
  fuzz_npy fuzz_checkpoint)
work="$PWD/$build/fuzz"
seeds="$work/seeds"
mkdir -p "$work/findings" "$work/logs"
# A smaller quarantine than ASan keeps by default: freed 2 MB checkpoint copies held back filled
# the fuzzer's memory limit.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:quarantine_size_mb=64"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/scripts/sanitizers/ubsan.supp"
bash scripts/fuzz_seeds.sh "$build/tinynmt" "$seeds"

status=0
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  mkdir -p "$corpus"
  max_len=4096
  # A checkpoint is larger: the fuzzer may grow inputs to the size of the seed.
  [ "$t" = fuzz_checkpoint ] && max_len=$(stat -c %s "$seeds/$t"/* | sort -n | tail -1)
  log="$work/logs/$t.log"
  # Inputs that once broke a reader (tests/fuzz_regressions/TARGET/) are replayed first.
  regressions=(tests/fuzz_regressions/"$t"/*)
  if [ -e "${regressions[0]}" ] && ! "$build/$t" "${regressions[@]}" > "$log" 2>&1; then
    echo "fuzz: $t: a regression input fails again (log: $log)"
    tail -30 "$log"
    status=1
    continue
  fi
  # Fuzz for SECONDS in all; a stop on a known library finding (scripts/sanitizers/fuzz_known.txt)
  # keeps its input in $work/known/ and fuzzing goes on for the time left.
  result=ok
  known=0
  end=$(( $(date +%s) + seconds ))
  : > "$log"
  while [ "$(date +%s)" -lt "$end" ]; do
    if "$build/$t" "$corpus" "$seeds/$t" -max_total_time=$(( end - $(date +%s) )) \
        -max_len="$max_len" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$work/findings/$t-" >> "$log" 2>&1; then
      break
    fi
    # The input again, alone, with full stacks through the libraries (too slow for fuzzing).
    artifact=$(ls -t "$work/findings/$t-"* 2>/dev/null | head -1)
    pattern=$(awk -F'\t' -v t="$t" '!/^#/ && $1 == t {print $2}' scripts/sanitizers/fuzz_known.txt)
    if [ -n "$pattern" ] && [ -n "$artifact" ]; then
      ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" "$build/$t" "$artifact" \
        > "$log.again" 2>&1 || true
    fi
    # The stop's own report (the end of the log) or the rerun's must show the library frame.
    if [ -n "$pattern" ] && [ -n "$artifact" ] &&
        { grep -qF "$pattern" <(tail -n 80 "$log") || grep -qF "$pattern" "$log.again"; }; then
      known=$((known + 1))
      mkdir -p "$work/known"
      mv "$work/findings/$t-"* "$work/known/" 2>/dev/null || true
      continue
    fi
    result="FINDING (log: $log)"
    status=1
    break
  done
  runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' |
    paste -sd+ - | bc)
  # A target whose every run stopped while loading its corpus printed no statistics line.
  speed=$(grep -ao 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 ||
    true)
  cov=$(grep -ao 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  echo "fuzz: $t ${seconds}s: $runs runs, $speed exec/s, $cov, corpus $(ls "$corpus" | wc -l) files, $known known library stops: $result"
  [ "$result" = ok ] || tail -30 "$log"
done
exit $status
