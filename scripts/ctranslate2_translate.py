#!/usr/bin/env python3
"""Translates with a CTranslate2 model that `tinynmt export --format ctranslate2` wrote, under
tinynmt's decoding rules, so that the outputs can be compared with `tinynmt translate`.

    ctranslate2_translate.py MODEL_DIR [--input FILE] [--output FILE] [--beam 1]
                             [--threads 2] [--compute-type default|int8|float32...]

As tinynmt does (src/decode/translator.cpp, search.cpp, greedy.cpp): the source is the
SentencePiece pieces plus </s> (the model's add_source_eos), decoding starts from <s>, <pad> and <s>
are never emitted, and the output is at most ceil(ratio * (pieces + 1)) + 10 tokens, </s>
included. CTranslate2 takes one such limit per call. --batching sorted (the default) sorts the
lines by length and decodes batches of --batch-size with the largest limit of the batch, then
cuts each hypothesis to its own limit: exact for greedy search, and what tinynmt's batches look
like. --batching by-limit makes one call per distinct limit (exact for beam search too, but many
small batches on a corpus of varied lengths). Beam search
normalises scores by CTranslate2's length penalty (score / length^alpha), not tinynmt's GNMT one,
so beam outputs can differ where greedy ones should not. Prints the translations (detokenised,
one per line) and, on stderr, sentences and seconds.
"""
import argparse
import math
import os
import sys
import time

try:
    import ctranslate2
    import sentencepiece as spm
except ImportError as e:
    print("ctranslate2_translate.py: %s (install: scripts/install_peers.sh ctranslate2)" % e,
          file=sys.stderr)
    sys.exit(3)


def tokenizers(model_dir):
    joint = os.path.join(model_dir, "spm.model")
    if os.path.exists(joint):
        sp = spm.SentencePieceProcessor(model_file=joint)
        return sp, sp
    return (spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "spm.src.model")),
            spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "spm.tgt.model")))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--input", help="one sentence per line (default: stdin)")
    p.add_argument("--output", help="default: stdout")
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--alpha", type=float, default=1.0, help="CTranslate2 length_penalty")
    p.add_argument("--max-len-ratio", type=float, default=1.5)
    p.add_argument("--max-len-extra", type=int, default=10)
    p.add_argument("--threads", type=int, default=2, help="intra_threads")
    p.add_argument("--batch-size", type=int, default=32, help="sentences per batch")
    p.add_argument("--compute-type", default="default")
    p.add_argument("--batching", choices=["sorted", "by-limit"], default="sorted")
    a = p.parse_args()
    src_sp, tgt_sp = tokenizers(a.model)
    with open(a.input, encoding="utf-8") if a.input else sys.stdin as f:
        lines = [line.rstrip("\n").rstrip("\r") for line in f]
    translator = ctranslate2.Translator(a.model, device="cpu", compute_type=a.compute_type,
                                        inter_threads=1, intra_threads=a.threads)
    pieces = [src_sp.encode(line, out_type=str) for line in lines]
    limits = {i: int(math.ceil(a.max_len_ratio * (len(ps) + 1))) + a.max_len_extra
              for i, ps in enumerate(pieces) if ps}
    if a.batching == "by-limit":
        batches = {}  # max decoding length -> indices of non-empty lines
        for i, limit in limits.items():
            batches.setdefault(limit, []).append(i)
        batches = [idx for _, idx in sorted(batches.items())]
    else:
        order = sorted(limits, key=lambda i: len(pieces[i]))
        batches = [order[k:k + a.batch_size] for k in range(0, len(order), a.batch_size)]
    out = [""] * len(lines)
    never = [[tgt_sp.id_to_piece(0)], [tgt_sp.id_to_piece(2)]]  # <pad>, <s>: models/special_ids.h
    start = time.perf_counter()
    for idx in batches:
        results = translator.translate_batch(
            [pieces[i] for i in idx], beam_size=a.beam, length_penalty=a.alpha,
            max_decoding_length=max(limits[i] for i in idx), max_batch_size=a.batch_size,
            suppress_sequences=never)
        for i, r in zip(idx, results):
            out[i] = tgt_sp.decode(r.hypotheses[0][:limits[i]])
    seconds = time.perf_counter() - start
    with open(a.output, "w", encoding="utf-8") if a.output else sys.stdout as f:
        for line in out:
            f.write(line + "\n")
    print("ctranslate2 %s: %d sentences in %.3f s (%.1f sentences/s), beam %d, %s, %d threads"
          % (ctranslate2.__version__, len(lines), seconds, len(lines) / max(seconds, 1e-9),
             a.beam, a.compute_type, a.threads), file=sys.stderr)


if __name__ == "__main__":
    main()
