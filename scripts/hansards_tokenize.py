#!/usr/bin/env python3
"""Tokenise Canadian Hansards text the way the NAACL 2003 WPT en-fr alignment gold writes it.

    scripts/hansards_tokenize.py --lang en|fr [--detok] < raw.txt > tok.txt

Python 3 standard library only; one line in, one line out (an empty line stays empty).
The conventions, read off ../shared/data/align-gold/en-fr-hansards/enfr.src-tgt:
- punctuation, brackets, quotes, `$` and `%` are tokens; every hyphen is a token (`peut - être`,
  `C - 19`) except `--`; digits keep their `,` and `.` (`98,355`, `6.42`); abbreviations from a
  short list (`Mr.`, `hon.`, `M.`) and dotted ones (`p.m.`) keep their period, a lone initial
  does not (`John N . Turner`); `...` stays one token;
- English: `'s` is split off (`let 's` too), contractions are written out (`don't` -> `do not`,
  `it's` -> `it is`), LaTeX-style quotes become `"`;
- French: elisions are written out with the full word whatever the gender (`l'unité` -> `le
  unité`, `qu'il` -> `que il`, `s'il` -> `se il`, `quelqu'un` -> `quelque un`, but
  `aujourd'hui` -> `aujourd' hui`), `du des au aux` -> `de le`, `de les`, `à le`, `à les`
  (not in a compound: `au - dessus`),
  `prendra-t-il` -> `prendra il`; numbers are written the English way (`750 000` -> `750,000`,
  `6,42` -> `6.42`, `12 $` -> `$ 12`);
- casing: the first token's first letter is lowercased when it is an ASCII capital, unless
  the token is all capitals (`CFB`) or, in English, a title (`Mr.`); a sentence-initial French
  `À` is written `a` as the gold's older typography has it (`a le ordre`), but `Au` gives `À le`.
--detok applies the inverse rules (for measuring the tokeniser: tokenising the detokenised
gold should give the gold back); contractions and `-t-` are not restored.
"""
import argparse
import re
import sys

ABBREV = {
    "en": {"Mr", "Mrs", "Ms", "Messrs", "Dr", "St", "hon", "Hon", "No", "Nos", "Jr", "Sr",
           "Ltd", "Inc", "Co", "Corp", "vs", "etc"},
    "fr": {"M", "MM", "Mme", "Mmes", "Dr", "St", "Ste", "hon", "Hon", "No", "no", "art",
           "Ltée", "Inc", "etc"},
}
EN_TITLES = {"Mr.", "Mrs.", "Ms.", "Messrs.", "Dr."}
EN_CONTRACTIONS = [  # (regex on a word, replacement), applied in order
    (r"\b([Cc])an't\b", r"\1annot"), (r"\b([Ww])on't\b", r"\1ill not"),
    (r"\b([Ss])han't\b", r"\1hall not"), (r"\b(\w+)n't\b", r"\1 not"),
    (r"\b((?:[Ii]t|[Tt]hat|[Tt]here|[Ww]hat|[Hh]e|[Ss]he|[Hh]ere|[Ww]ho|[Ww]here))'s\b",
     r"\1 is"),
    (r"\b(\w+)'re\b", r"\1 are"), (r"\b([Ii])'m\b", r"\1 am"), (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\b(\w+)'ll\b", r"\1 will"), (r"\b(\w+)'d\b", r"\1 would"),
]
FR_ELIDED = (r"(?:[LlDdNnSsCcJjMmTt]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[Qq]uelqu|[Qq]uoiqu"
             r"|[Pp]resqu)")
FR_ARTICLES = {"du": "de le", "des": "de les", "au": "à le", "aux": "à les"}
PUNCT = "()[]{}«»\"!?;:%$/*+=<>#&|"  # always their own token
VOWEL = "aeiouyhàâäéèêëîïôöûüœæAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ"


def normalise(line, lang):
    line = line.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    line = re.sub(r"[\u2018\u2019`´]", "'", line).replace("``", '"').replace("''", '"')
    line = line.replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", "--")
    if lang == "fr":
        line = re.sub(r"(?<=\d),(?=\d)", ".", line)  # 6,42 -> 6.42
        line = re.sub(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d])",
                      lambda m: m.group(0).replace(" ", ","), line)  # 750 000 -> 750,000
        line = re.sub(r"(?<![\w.,])(\d[\d.,]*) ?\$", r"$ \1 ", line)  # 12 $ -> $ 12
    return line


def split_words(line, lang):
    if lang == "en":
        for pattern, repl in EN_CONTRACTIONS:
            line = re.sub(pattern, repl, line)
        line = re.sub(r"(?<=\w)'s\b", " 's", line)
        line = re.sub(r"(?<=[sS])'(?=\s|$)", " '", line)  # members' -> members '
    else:
        line = re.sub(r"-t-(?=(?:il|elle|on|ils|elles)\b)", " ", line)
        line = re.sub(r"\b(" + FR_ELIDED + r")'", r"\1e ", line)
        line = re.sub(r"\b([Aa]ujourd)'", r"\1' ", line)
    line = re.sub(r"(?<!-)-(?!-)", " - ", line)  # hyphens, not --
    line = re.sub(r"(-{2,})", r" \1 ", line)
    line = re.sub(r"\.{3,}", " ... ", line)
    line = re.sub("([" + re.escape(PUNCT) + "])", r" \1 ", line)
    line = re.sub(r",(?!\d)|(?<!\d),", " , ", line)  # commas, not inside 98,355
    line = re.sub(r"(?<!\S)'(?!s\b)|(?<![\w'])'(?=\s|$)", " ' ", line)  # quotes made of '
    return line.split()


def split_period(tok, nxt, lang):
    """`word.` -> `word .` unless an abbreviation, a dotted one (p.m.) or `...`; `No.` is an
    abbreviation only before a number (`No. 14`, but the answer `No.`); nxt: the next word."""
    if not tok.endswith(".") or tok == "..." or len(tok) == 1:
        return [tok]
    stem = tok[:-1]
    if stem.lower() in ("no", "nos") and not nxt[:1].isdigit():
        return [stem, "."]
    if stem in ABBREV[lang] or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", stem):
        return [tok]
    return [stem, "."]


def expand_articles(tokens):
    """du des au aux -> de le, de les, à le, à les; not in a compound (`au - dessus`)."""
    out = []
    for k, tok in enumerate(tokens):
        low = tok.lower()
        if low in FR_ARTICLES and tokens[k + 1:k + 2] != ["-"]:
            words = FR_ARTICLES[low].split()
            if tok.isupper():
                words = [w.upper() for w in words]
            elif tok[0].isupper():
                words[0] = words[0].capitalize()
            out.extend(words)
        else:
            out.append(tok)
    return out


def recase_first(tokens, lang):
    if not tokens:
        return tokens
    first = tokens[0]
    if first[0].isascii() and first[0].isupper():
        letters = [c for c in first if c.isalpha()]
        all_caps = len(letters) > 1 and all(c.isupper() for c in letters)
        if not all_caps and not (lang == "en" and first in EN_TITLES):
            tokens[0] = first[0].lower() + first[1:]
    return tokens


def tokenize(line, lang):
    words = split_words(normalise(line, lang), lang)
    tokens = []
    for k, w in enumerate(words):
        tokens.extend(split_period(w, words[k + 1] if k + 1 < len(words) else "", lang))
    if lang == "fr":
        if tokens and tokens[0] == "À":
            tokens[0] = "a"  # sentence-initial À as the gold writes it (older typography)
        tokens = expand_articles(tokens)
    return " ".join(recase_first(tokens, lang))


def detokenize(line, lang):
    """Inverse rules: a plausible raw line that `tokenize` maps back to `line`."""
    toks = line.split()
    if lang == "fr":
        toks = " ".join(toks)
        toks = re.sub(r"\b([Aa]ujourd)' hui\b", r"\1'hui", toks)
        for full, short in (("à les", "aux"), ("de les", "des")):
            toks = re.sub(r"(?<!\S)" + full + r"(?!\S)", short, toks)
        for word in ("le", "de", "que", "ne", "se", "ce", "je", "me", "te"):
            toks = re.sub(r"(?<!\S)" + word + r" (?=[" + VOWEL + "])", word[:-1] + "'", toks)
        toks = re.sub(r"(?<!\S)de le(?!\S)", "du", toks)
        toks = re.sub(r"(?<!\S)à le(?!\S)", "au", toks)
        toks = re.sub(r"^À les(?!\S)", "Aux", re.sub(r"^À le(?!\S)", "Au", toks))
        toks = re.sub(r"(?<!\S)\$ (\d[\d.,]*)", r"\1 $", toks)
        toks = re.sub(r"(?<=\d)\.(?=\d)", ",", toks.replace(",", "\u0000"))
        toks = re.sub(r"(?<=\d)\u0000(?=\d{3})", " ", toks).replace("\u0000", ",")
        toks = toks.split()
    else:
        toks = " ".join(toks).replace(" 's", "'s").split()
    text = " ".join(toks)
    text = re.sub(r" - ", "-", text)
    text = re.sub(r" ([.,;:!?)\]%])(?!\d)", r"\1", text)
    text = re.sub(r"([(\[]) " if lang == "fr" else r"([(\[$]) ", r"\1", text)
    if text[:1].isascii() and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lang", required=True, choices=["en", "fr"])
    ap.add_argument("--detok", action="store_true", help="apply the inverse rules instead")
    args = ap.parse_args()
    fn = detokenize if args.detok else tokenize
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    sys.stdout.reconfigure(encoding="utf-8")
    out = sys.stdout
    for n, line in enumerate(sys.stdin, 1):
        try:
            out.write(fn(line.rstrip("\n"), args.lang) + "\n")
        except Exception as e:  # one clear line naming the input line
            sys.exit(f"hansards_tokenize: error: stdin:{n}: {e}")


if __name__ == "__main__":
    main()
