#!/usr/bin/env python3
"""Translates a file with JoeyNMT 2.3 on the weights `tinynmt export --format joeynmt` wrote.

    joeynmt_translate.py MODEL_DIR --input SRC --output HYP [--beam 5] [--alpha 0.6]
                         [--threads 2] [--batch-size 64]

Runs JoeyNMT's own test path (joeynmt.prediction.test: its data loading, SentencePiece
tokenization, batching by sentences, greedy search for beam 1 and its beam search otherwise with
the GNMT length penalty ((5 + |y|) / 6)^alpha, detokenization), with one change: the model gets
the output-layer bias of tinynmt's model (joeynmt_convert.build_model). JoeyNMT's longest output
is 1.5 x the longest source (with </s>) of a batch; tinynmt's is 1.5 x each source + 10 pieces,
which differs only for hypotheses that never end.
Prints to stderr one line: "joeynmt VERSION: N sentences in T s (X sentences/s), beam B, ..."
where T is decoding alone (JoeyNMT's predict(), without loading the model). Exit 3 when joeynmt
cannot be imported.
"""
import argparse
import copy
import os
import shutil
import sys
import tempfile
import time

try:
    import torch
    import yaml
    import joeynmt
    from joeynmt import prediction
    from joeynmt_convert import build_model
except ImportError:
    sys.exit(3)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--input", required=True, help="one sentence per line")
    p.add_argument("--output", required=True)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64, help="sentences per batch")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.model, "config.yaml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    tmp = tempfile.mkdtemp()
    try:
        # JoeyNMT reads PREFIX.LANG; the languages of the exported config are "src" and "trg".
        shutil.copyfile(a.input, os.path.join(tmp, "input.src"))
        cfg = copy.deepcopy(cfg)
        cfg["data"]["test"] = os.path.join(tmp, "input")
        cfg["testing"].update({"beam_size": a.beam, "beam_alpha": a.alpha,
                               "batch_size": a.batch_size, "batch_type": "sentence"})
        seconds = []
        predict = prediction.predict

        def timed_predict(*args, **kwargs):
            t0 = time.perf_counter()
            r = predict(*args, **kwargs)
            seconds.append(time.perf_counter() - t0)
            return r

        prediction.build_model = build_model  # the output bias of tinynmt's model
        prediction.predict = timed_predict
        prediction.test(cfg, output_path=os.path.join(tmp, "hyp"))
        shutil.copyfile(os.path.join(tmp, "hyp.test"), a.output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = sum(1 for _ in open(a.input, encoding="utf-8"))
    t = sum(seconds)
    print("joeynmt %s: %d sentences in %.3f s (%.1f sentences/s), beam %d, alpha %g, %d threads"
          % (joeynmt.__version__, n, t, n / t, a.beam, a.alpha, a.threads), file=sys.stderr)


if __name__ == "__main__":
    main()
