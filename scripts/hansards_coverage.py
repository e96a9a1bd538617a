#!/usr/bin/env python3
"""How closely scripts/hansards_tokenize.py follows the Hansards alignment gold's conventions.

    scripts/hansards_coverage.py [--data data/hansards] [--raw ../shared/data/hansards-isi]
        [--show 15]

(a) the share of the gold test tokens (by occurrence, each side) whose type occurs in the
    tokenised training text (DATA/train.{en,fr}), next to the same share for the raw text split
    at spaces (RAW/train200k.{en,fr}), and the commonest gold types the tokenised text lacks;
    the same for token bigrams (`de le`, `que il`, `member 's`);
(b) round trip: every gold line detokenised by the inverse rules (--detok) and tokenised again;
    the share of lines, and of tokens (longest matching blocks), that come back exactly, and the
    first lines that do not. Python 3 standard library only.
"""
import argparse
import collections
import difflib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hansards_tokenize as ht  # noqa: E402


def read_gold(path):
    en, fr = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(" ||| ")
            if len(parts) != 2:
                sys.exit(f"hansards_coverage: error: {path}:{n}: expected `en ||| fr`")
            en.append(parts[0].split())
            fr.append(parts[1].split())
    return {"en": en, "fr": fr}


def ngrams(toks, n):
    return [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def seen(path, wanted, n):
    """The n-grams of `wanted` that occur in the text file `path` (split at spaces)."""
    found = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            found.update(g for g in ngrams(line.split(), n) if g in wanted)
    return found


def coverage(gold_lines, path, n):
    """(gold n-grams by occurrence whose type occurs in `path`, all gold n-grams, missing)."""
    grams = [g for toks in gold_lines for g in ngrams(toks, n)]
    found = seen(path, set(grams), n)
    missing = collections.Counter(g for g in grams if g not in found)
    return len(grams) - sum(missing.values()), len(grams), missing


def round_trip(gold_lines, lang):
    same_lines = same_toks = total = 0
    bad = []
    for toks in gold_lines:
        back = ht.tokenize(ht.detokenize(" ".join(toks), lang), lang).split()
        matcher = difflib.SequenceMatcher(a=toks, b=back, autojunk=False)
        same_toks += sum(b.size for b in matcher.get_matching_blocks())
        total += len(toks)
        if back == toks:
            same_lines += 1
        else:
            bad.append((" ".join(toks), " ".join(back)))
    return same_lines, same_toks, total, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/hansards")
    ap.add_argument("--raw", default="../shared/data/hansards-isi")
    ap.add_argument("--show", type=int, default=15, help="missing types and lines to show")
    args = ap.parse_args()
    gold = read_gold(os.path.join(args.data, "enfr.src-tgt"))
    for lang in ("en", "fr"):
        n = len(gold[lang])
        for order, what in ((1, "tokens"), (2, "bigrams")):
            tok = coverage(gold[lang], os.path.join(args.data, f"train.{lang}"), order)
            raw = coverage(gold[lang], os.path.join(args.raw, f"train200k.{lang}"), order)
            print(f"{lang}: {tok[1]} gold {what} in {n} lines; seen in the training text: "
                  f"tokenised {100 * tok[0] / tok[1]:.1f}%, raw split at spaces "
                  f"{100 * raw[0] / raw[1]:.1f}%")
            print(f"{lang}: commonest missing from the tokenised text: " + ", ".join(
                f"{t} {c}" for t, c in tok[2].most_common(args.show)))
        lines, toks, total, bad = round_trip(gold[lang], lang)
        print(f"{lang}: round trip tokenize(detok(gold)): {lines}/{n} lines "
              f"({100 * lines / n:.1f}%), {toks}/{total} tokens ({100 * toks / total:.1f}%)")
        for g, b in bad[: args.show]:
            print(f"  gold: {g}\n  back: {b}")


if __name__ == "__main__":
    main()
