# Sourced by the export CLI tests after toy_env.sh (needs $bin, $tmp, fail).

# expect_export_refused FORMAT RUN_DIR MESSAGE: `tinynmt export --format FORMAT` of RUN_DIR exits
# 1 with one error line that starts "error: MESSAGE", and writes nothing.
expect_export_refused() {
  local format=$1 run=$2 message=$3 rc
  rm -rf "$tmp/refused"
  "$bin" export --format "$format" --model "$run" --out "$tmp/refused" >/dev/null 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 1 ] || fail "exporting $run to $format exited $rc, expected 1: $(cat "$tmp/err")"
  grep -q "^error: $message" "$tmp/err" || fail "$format refusal is not '$message': $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$format refusal is not one line: $(cat "$tmp/err")"
  [ ! -e "$tmp/refused" ] || fail "a refused export wrote $tmp/refused"
}

# The peers' interpreter, as tinynmt picks it: TINYNMT_PYTHON, else .peers/bin/python, else python3.
py=${TINYNMT_PYTHON:-}
[ -n "$py" ] || { [ -x .peers/bin/python ] && py=.peers/bin/python; } || py=python3

# export_ok FORMAT RUN_DIR OUT FILE...: `tinynmt export --format FORMAT` of RUN_DIR into OUT
# succeeds with the peer's interpreter and writes each FILE (not empty) into OUT.
export_ok() {
  local format=$1 run=$2 out=$3 f
  shift 3
  TINYNMT_PYTHON="$py" "$bin" export --format "$format" --model "$run" --out "$out" \
    >"$tmp/export.log" 2>&1 || fail "export: $(tail -3 "$tmp/export.log")"
  for f in "$@"; do
    [ -s "$out/$f" ] || fail "export wrote no $f: $(ls "$out")"
  done
}
