#!/usr/bin/env bash
# Prepares the corpora tinynmt's configs use, under data/ (git-ignored except data/README.md).
#
#   scripts/get_data.sh                 # all: toy, multi30k, tatoeba
#   scripts/get_data.sh toy multi30k    # any subset
#   scripts/get_data.sh hansards        # not in "all": needs ../shared/data and python3
#
#   toy       data/toy/{train,dev,test}.{src,tgt}: synthetic copy task (no download)
#   multi30k  data/multi30k/{train,val,test_2016_flickr}.{de,en,fr}
#   tatoeba   data/tatoeba-fra-eng/{train,dev,test}.{en,fr} (+ fra.txt), split by distinct
#             English sentence: 2,000 dev and 2,000 test pairs, no English sentence in two splits;
#             and train_concat.{en,fr}: the train pairs plus concatenations of 2-5 random train
#             pairs (about as many words again), for the alignment models, whose test set
#             (Hansards, 15.7 words a sentence) is longer than Tatoeba's 6.2
#   hansards  data/hansards/: the ISI Hansards (36th Parliament, 200k raw pairs) tokenised the
#             way the en-fr alignment gold is (scripts/hansards_tokenize.py), short headings
#             dropped; train.{en,fr}, dev.{en,fr} (the last 1,500 pairs), test.{en,fr} and
#             test.gold (the 447 gold pairs, 1-based links), and train+test.{en,fr}: train with
#             the 447 test pairs appended, for statistical aligners (score the last 447 lines)
#
# Sources: ../shared/data (seen from the repository root) when it exists, otherwise upstream
# (github.com/multi30k/dataset raw .gz files; manythings.org/anki fra-eng.zip; the Hansards
# gold from github.com/neulab/awesome-align examples/; the raw Hansards text has no download:
# ../shared/data/hansards-isi/train200k.{en,fr} must exist).
# Idempotent: finished outputs are kept. Needs bash, coreutils, awk, gzip, and for downloads
# curl or wget (and unzip for Tatoeba); python3 for Hansards.
# Environment: TINYNMT_DATA_DIR (default <repo>/data), TINYNMT_SHARED_DATA (default
# <repo>/../shared/data).
set -euo pipefail
export LC_ALL=C  # byte-wise awk and sort: the same result everywhere

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA="${TINYNMT_DATA_DIR:-$ROOT/data}"
SHARED="${TINYNMT_SHARED_DATA:-$ROOT/../shared/data}"

MULTI30K_URL="https://github.com/multi30k/dataset/raw/master/data/task1/raw"
TATOEBA_URL="https://www.manythings.org/anki/fra-eng.zip"
HANSARDS_GOLD_URL="https://raw.githubusercontent.com/neulab/awesome-align/master/examples"

log() { echo "get_data: $*" >&2; }
die() { echo "get_data: error: $*" >&2; exit 1; }

# download URL FILE: to FILE.part, then renamed.
download() {
  local url="$1" out="$2"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -A "Mozilla/5.0 (tinynmt get_data.sh)" -o "$out.part" "$url" \
      || die "download failed: $url"
  elif command -v wget >/dev/null 2>&1; then
    wget -q --tries=3 -U "Mozilla/5.0 (tinynmt get_data.sh)" -O "$out.part" "$url" \
      || die "download failed: $url"
  else
    die "neither curl nor wget is installed, cannot download $url (apt-get install curl)"
  fi
  mv -f "$out.part" "$out"
}

lines() { wc -l <"$1" | tr -d ' '; }

# ------------------------------------------------------------------------------------------
# toy: a copy task over 20 one-letter words, sentence lengths 5-12. A Park-Miller generator
# (integer arithmetic exact in awk's doubles) makes it identical under mawk and gawk.
get_toy() {
  local dir="$DATA/toy"
  if [[ -s "$dir/test.tgt" && -s "$dir/train.src" ]]; then
    log "toy: already in $dir"
    return
  fi
  mkdir -p "$dir"
  local split name n seed
  for split in train:2000:11 dev:100:22 test:100:33; do
    IFS=: read -r name n seed <<<"$split"
    awk -v n="$n" -v seed="$seed" 'BEGIN {
        split("a b c d e f g h i j k l m n o p q r s t", sym, " ");
        x = seed * 48271 + 1;
        for (s = 0; s < n; s++) {
          x = (x * 16807) % 2147483647; len = 5 + x % 8;
          line = "";
          for (k = 0; k < len; k++) {
            x = (x * 16807) % 2147483647;
            line = line (k ? " " : "") sym[1 + x % 20];
          }
          print line;
        }
      }' >"$dir/$name.src.tmp"
    cp "$dir/$name.src.tmp" "$dir/$name.tgt"
    mv -f "$dir/$name.src.tmp" "$dir/$name.src"
  done
  log "toy: wrote $dir (copy task: train 2000, dev 100, test 100 lines)"
}

# ------------------------------------------------------------------------------------------
get_multi30k() {
  local dir="$DATA/multi30k" split lang f expected
  mkdir -p "$dir"
  for split in train val test_2016_flickr; do
    case "$split" in
      train) expected=29000 ;;
      val) expected=1014 ;;
      test_2016_flickr) expected=1000 ;;
    esac
    for lang in de en fr; do
      f="$split.$lang"
      if [[ -s "$dir/$f" && "$(lines "$dir/$f")" == "$expected" ]]; then
        continue
      fi
      if [[ -s "$SHARED/multi30k/$f" ]]; then
        cp -f "$SHARED/multi30k/$f" "$dir/$f.tmp"
        chmod u+w "$dir/$f.tmp"
        mv -f "$dir/$f.tmp" "$dir/$f"
        log "multi30k: copied $f from $SHARED/multi30k"
      else
        command -v gzip >/dev/null 2>&1 || die "gzip is not installed (apt-get install gzip)"
        log "multi30k: downloading $MULTI30K_URL/$f.gz"
        download "$MULTI30K_URL/$f.gz" "$dir/$f.gz"
        gzip -dc "$dir/$f.gz" >"$dir/$f.tmp" || die "cannot decompress $dir/$f.gz"
        rm -f "$dir/$f.gz"
        mv -f "$dir/$f.tmp" "$dir/$f"
      fi
      [[ "$(lines "$dir/$f")" == "$expected" ]] \
        || die "$dir/$f has $(lines "$dir/$f") lines, expected $expected"
    done
  done
  log "multi30k: ready in $dir (train 29000, val 1014, test_2016_flickr 1000 lines; de en fr)"
}

# ------------------------------------------------------------------------------------------
# Tatoeba fra-eng: fra.txt has 3 tab-separated columns (English, French, attribution).
# Split by distinct English sentence: each distinct sentence gets a pseudo-random key (a
# polynomial hash of its bytes, scattered by Park-Miller steps; ties broken by the sentence), sentences are taken in key order, and a sentence (with
# all its pairs) goes to test while test has room for all its pairs, then likewise to dev, until
# each holds exactly 2,000 pairs; the rest is train. Pairs keep the file order in every split.
get_tatoeba() {
  local dir="$DATA/tatoeba-fra-eng" n_dev=2000 n_test=2000
  mkdir -p "$dir"
  if [[ ! -s "$dir/fra.txt" ]]; then
    if [[ -s "$SHARED/tatoeba-fra-eng/fra.txt" ]]; then
      cp -f "$SHARED/tatoeba-fra-eng/fra.txt" "$dir/fra.txt.tmp"
      chmod u+w "$dir/fra.txt.tmp"
      mv -f "$dir/fra.txt.tmp" "$dir/fra.txt"
      [[ -f "$SHARED/tatoeba-fra-eng/_about.txt" ]] \
        && cp -f "$SHARED/tatoeba-fra-eng/_about.txt" "$dir/_about.txt" && chmod u+w "$dir/_about.txt"
      log "tatoeba: copied fra.txt from $SHARED/tatoeba-fra-eng"
    else
      command -v unzip >/dev/null 2>&1 || die "unzip is not installed (apt-get install unzip)"
      log "tatoeba: downloading $TATOEBA_URL"
      download "$TATOEBA_URL" "$dir/fra-eng.zip"
      unzip -o -q "$dir/fra-eng.zip" fra.txt _about.txt -d "$dir" 2>/dev/null \
        || unzip -o -q "$dir/fra-eng.zip" fra.txt -d "$dir" \
        || die "cannot unzip $dir/fra-eng.zip (is it the manythings.org zip?)"
      rm -f "$dir/fra-eng.zip"
    fi
  fi
  local stamp="$dir/.split-$n_dev-$n_test"
  if [[ -f "$stamp" && -s "$dir/train.en" && -s "$dir/test.fr" ]]; then
    log "tatoeba: already split in $dir"
    tatoeba_concat "$dir"
    return
  fi
  local tmp="$dir/.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # 1. distinct English sentences with their pair counts and keys, in key order.
  awk -F'\t' '
    BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
    NF < 2 { printf "get_data: error: %s:%d: expected at least 2 tab-separated fields\n", FILENAME, NR > "/dev/stderr"; bad = 1; exit 1 }
    { sub(/\r$/, ""); if (!($1 in count)) order[++n] = $1; count[$1]++ }
    END {
      if (bad) exit 1;
      for (k = 1; k <= n; k++) {
        s = order[k]; h = 0; L = length(s);
        for (i = 1; i <= L; i++) h = (h * 257 + ord[substr(s, i, 1)]) % 2147483629;
        # scatter neighbouring hashes (Park-Miller steps; products stay below 2^53)
        for (i = 0; i < 3; i++) h = ((h + 1) * 16807) % 2147483647;
        print h "\t" count[s] "\t" s;
      }
    }' "$dir/fra.txt" | sort -t "$(printf '\t')" -k1,1n -k3 >"$tmp/keys" \
    || die "cannot read $dir/fra.txt"
  # 2. assign splits, then write the pairs in file order.
  awk -F'\t' -v nt="$n_test" -v nd="$n_dev" -v out="$tmp" '
    FNR == NR {
      s = $3; c = $2 + 0;
      if (t < nt && t + c <= nt) { split_of[s] = "test"; t += c }
      else if (d < nd && d + c <= nd) { split_of[s] = "dev"; d += c }
      else split_of[s] = "train";
      next;
    }
    {
      sub(/\r$/, "");
      sp = split_of[$1];
      print $1 > (out "/" sp ".en");
      print $2 > (out "/" sp ".fr");
      n[sp]++;
    }
    END {
      if (t != nt || d != nd) { printf "get_data: error: split has test %d, dev %d pairs\n", t, d > "/dev/stderr"; exit 1 }
      printf "get_data: tatoeba: train %d, dev %d, test %d pairs\n", n["train"], n["dev"], n["test"] > "/dev/stderr";
    }' "$tmp/keys" "$dir/fra.txt" || die "tatoeba split failed"
  local f
  for f in train.en train.fr dev.en dev.fr test.en test.fr; do mv -f "$tmp/$f" "$dir/$f"; done
  rm -rf "$tmp"
  rm -f "$dir"/.split-*
  touch "$stamp"
  tatoeba_concat "$dir"
  log "tatoeba: ready in $dir ({train,dev,test}.{en,fr}, train_concat.{en,fr})"
}

# Concatenation augmentation (Nguyen et al. 2021, "Data Augmentation by Concatenation for
# Low-Resource Translation"; Kondo et al. 2021 for length generalisation): all train pairs, then
# the train pairs in a seeded random order (Park-Miller, Fisher-Yates) joined 2 to 5 at a time,
# both sides in the same order, separated by a space. Deterministic; rebuilt when train.en is newer.
tatoeba_concat() {
  local dir="$1"
  if [[ -s "$dir/train_concat.en" && -s "$dir/train_concat.fr" && \
        ! "$dir/train.en" -nt "$dir/train_concat.en" ]]; then
    return
  fi
  awk -v out="$dir" '
    function rnd() { seed = (seed * 16807) % 2147483647; return seed }
    FNR == NR { en[++n] = $0; next }
    { fr[++m] = $0 }
    END {
      if (n != m) { printf "get_data: error: train.en has %d lines, train.fr %d\n", n, m > "/dev/stderr"; exit 1 }
      for (i = 1; i <= n; i++) { print en[i] > (out "/train_concat.en.tmp"); print fr[i] > (out "/train_concat.fr.tmp"); p[i] = i }
      seed = 20210801;
      for (i = n; i > 1; i--) { j = 1 + rnd() % i; t = p[i]; p[i] = p[j]; p[j] = t }
      for (i = 1; i <= n; i += k) {
        k = 2 + rnd() % 4; if (i + k - 1 > n) break;
        e = en[p[i]]; f = fr[p[i]];
        for (c = 1; c < k; c++) { e = e " " en[p[i + c]]; f = f " " fr[p[i + c]] }
        print e > (out "/train_concat.en.tmp"); print f > (out "/train_concat.fr.tmp"); extra++
      }
      printf "get_data: tatoeba: train_concat %d pairs (%d + %d concatenated)\n", n + extra, n, extra > "/dev/stderr";
    }' "$dir/train.en" "$dir/train.fr" || die "tatoeba concatenation failed"
  mv -f "$dir/train_concat.en.tmp" "$dir/train_concat.en"
  mv -f "$dir/train_concat.fr.tmp" "$dir/train_concat.fr"
}

# ------------------------------------------------------------------------------------------
# Hansards en-fr. A pair is a short heading, and is dropped, when its English side
#   - is `* * *`, or has capitals but no lower-case letter (`CANADA PENSION PLAN`);
#   - names a speaker: ends in `):` (`Mr. Denis Coderre (Bourassa, Lib.):`), or has at most 5
#     words, ends in `:` and starts with a title (`Mr. Bob Kilger:`, `Some hon. members:`,
#     `The Deputy Speaker:`);
#   - or has at most 8 words, does not start with `(` and does not end in one of . ? ! ; : ' " -
#     (`The Presiding Officer (Mr. Caccia)`, `Hon. Paul Martin`, `Sitting Resumed`).
# The gold's pairs are kept whatever they look like (`2 .`, `hear , hear !`).
get_hansards() {
  local dir="$DATA/hansards" raw="$SHARED/hansards-isi" gold="$SHARED/align-gold/en-fr-hansards"
  local n_dev=1500 tok="$ROOT/scripts/hansards_tokenize.py"
  local stamp="$dir/.prepared-$n_dev"
  if [[ -f "$stamp" && -s "$dir/train+test.fr" && ! "$tok" -nt "$stamp" && \
        ! "${BASH_SOURCE[0]}" -nt "$stamp" ]]; then
    log "hansards: already in $dir"
    return
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed (apt-get install python3)"
  [[ -s "$raw/train200k.en" && -s "$raw/train200k.fr" ]] \
    || die "$raw/train200k.{en,fr} not found: the raw ISI Hansards text has no download here"
  mkdir -p "$dir"
  local f
  for f in enfr.src-tgt enfr.gold; do
    [[ -s "$dir/$f" ]] && continue
    if [[ -s "$gold/$f" ]]; then
      cp -f "$gold/$f" "$dir/$f.tmp" && chmod u+w "$dir/$f.tmp" && mv -f "$dir/$f.tmp" "$dir/$f"
    else
      log "hansards: downloading $HANSARDS_GOLD_URL/$f"
      download "$HANSARDS_GOLD_URL/$f" "$dir/$f"
    fi
  done
  [[ "$(lines "$dir/enfr.src-tgt")" == 447 && "$(lines "$dir/enfr.gold")" == 447 ]] \
    || die "$dir/enfr.src-tgt and enfr.gold must have 447 lines each"
  local tmp="$dir/.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "hansards: tokenising 2 x 200,000 lines (a minute or two)"
  LC_ALL=C.UTF-8 python3 "$tok" --lang en <"$raw/train200k.en" >"$tmp/all.en" &
  LC_ALL=C.UTF-8 python3 "$tok" --lang fr <"$raw/train200k.fr" >"$tmp/all.fr" \
    || die "tokenising $raw/train200k.fr failed"
  wait $! || die "tokenising $raw/train200k.en failed"
  # heading pairs out (rule above, on the raw English), then dev = the last n_dev kept pairs.
  paste -d '\n' "$raw/train200k.en" "$tmp/all.en" "$tmp/all.fr" | awk -v out="$tmp" -v nd="$n_dev" '
    NR % 3 == 1 { r = $0; sub(/[ \t\r]+$/, "", r); next }
    NR % 3 == 2 { e = $0; next }
    {
      n = split(r, w, " ");
      title = r ~ /^(Mr\.|Mrs\.|Ms\.|Miss|Dr\.|Hon\.|Right Hon\.|Some hon\.|An hon\.) / ||
              r ~ /^The ([A-Z][a-z]+ )*(Speaker|Chairman|Chair|Clerk):$/;
      head = r == "* * *" || (r !~ /[a-z]/ && r ~ /[A-Z]/) || r ~ /\):$/ ||
             (n <= 5 && r ~ /:$/ && title) || (n <= 8 && r !~ /^\(/ && r !~ /[.?!;:\047"-]$/);
      if (head || e == "" || $0 == "") { dropped++; next }
      en[++k] = e; fr[k] = $0;
    }
    END {
      for (i = 1; i <= k; i++) {
        sp = i <= k - nd ? "train" : "dev";
        print en[i] > (out "/" sp ".en"); print fr[i] > (out "/" sp ".fr");
      }
      printf "get_data: hansards: %d pairs, %d short headings dropped; train %d, dev %d\n", \
        NR / 3, dropped, k - nd, nd > "/dev/stderr";
    }' || die "hansards split failed"
  # the gold pairs: `english ||| french`, runs of spaces squeezed (as eval_alignment.sh does)
  awk -F' \\|\\|\\| ' -v out="$tmp" '{
      gsub(/^ +| +$/, "", $1); gsub(/^ +| +$/, "", $2); gsub(/ +/, " ", $1); gsub(/ +/, " ", $2);
      print $1 > (out "/test.en"); print $2 > (out "/test.fr") }' "$dir/enfr.src-tgt"
  cp -f "$dir/enfr.gold" "$tmp/test.gold"
  cat "$tmp/train.en" "$tmp/test.en" >"$tmp/train+test.en"
  cat "$tmp/train.fr" "$tmp/test.fr" >"$tmp/train+test.fr"
  for f in train dev test train+test; do mv -f "$tmp/$f.en" "$tmp/$f.fr" "$dir/"; done
  mv -f "$tmp/test.gold" "$dir/test.gold"
  rm -rf "$tmp"
  rm -f "$dir"/.prepared-*
  touch "$stamp"
  log "hansards: ready in $dir ({train,dev,test,train+test}.{en,fr}, test.gold)"
}

# ------------------------------------------------------------------------------------------
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(toy multi30k tatoeba)
for t in "${targets[@]}"; do
  case "$t" in
    toy) get_toy ;;
    multi30k) get_multi30k ;;
    tatoeba | tatoeba-fra-eng) get_tatoeba ;;
    hansards) get_hansards ;;
    -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)
      echo "get_data: unknown corpus '$t' (choices: toy, multi30k, tatoeba, hansards)" >&2
      exit 2
      ;;
  esac
done
