#!/usr/bin/env python3
"""Writes a JoeyNMT 2.3 config equal to a tinynmt run, for scripts/compare_peers.sh.

    joeynmt_config.py RUN_DIR OUT_DIR --steps N [--target-tokens T] [--seed S] [--validate-every V]

Reads RUN_DIR/config.yaml and RUN_DIR/spm.model (tinynmt's SentencePiece model). Writes into
OUT_DIR: vocab.txt (the same pieces in the same order; JoeyNMT puts its four special symbols
first, as tinynmt's model does, only <unk> and <pad> swap places) and joeynmt.yaml: the same
layers, sizes, norm placement, dropout, tied embeddings, label smoothing, Adam betas, peak
learning rate and warmup (JoeyNMT's "warmupinversesquareroot" is tinynmt's noam schedule), and
gradient clipping (for tinynmt's plateau schedule a constant peak rate: see schedule()); N
updates (JoeyNMT's key `updates`), no validation unless --validate-every V (greedy, the whole dev
set, as JoeyNMT validates during training). Runs: Transformers, and GRU runs with luong-general
attention and one decoder layer (the RNNs `tinynmt export --format joeynmt` takes; their model
section is joeynmt_convert.recurrent_model).

Batches: JoeyNMT's token batches (batch_type "token") count max(source, target) + 1 tokens of the
longest pair times the pairs, in random order without bucketing, so the same batch_size holds far
fewer real target tokens than tinynmt's length-bucketed batches. The batch_size written is the
smallest whose batches hold on average at least T real target tokens (EOS included, as JoeyNMT
counts them), found by replaying JoeyNMT's sampler over the tokenized training data. T defaults
to what the tinynmt run's steps held: target tokens over steps at the last training row of
RUN_DIR/metrics.jsonl. Prints the
chosen batch_size and that average.
"""
import argparse
import json
import random
import sys
from pathlib import Path

import sentencepiece as spm
import yaml
from joeynmt_convert import recurrent_model


def schedule(tr):
    """JoeyNMT's learning-rate schedule for tinynmt's training section: noam is JoeyNMT's
    warmupinversesquareroot. tinynmt's plateau holds the peak rate (after its warmup) until
    validations stop improving; JoeyNMT 2.3's plateau scheduler cannot start with PyTorch 2.x's
    ReduceLROnPlateau (it passes `verbose`, which PyTorch removed), so the twin keeps the peak rate
    constant (JoeyNMT's "exponential" with factor 1): the same rate as long as tinynmt's
    validations improve."""
    if tr.get("schedule", "noam") == "plateau":
        return {"scheduling": "exponential", "decrease_factor": 1.0, "learning_rate": tr["lr"]}
    return {"scheduling": "warmupinversesquareroot", "learning_rate": tr["lr"],
            "learning_rate_warmup": tr["warmup"], "learning_rate_min": 1.0e-8}


def tokens_per_step(metrics):
    """Real target tokens a step of a tinynmt run, at the last training row of its metrics.jsonl."""
    rows = [r for r in map(json.loads, metrics.read_text().splitlines()) if r.get("type") == "train"]
    if not rows:
        sys.exit(f"joeynmt_config.py: {metrics}: no training rows")
    return rows[-1]["target_tokens"] / rows[-1]["step"]


def mean_target_tokens(pairs, batch_size, seed):
    """Replays joeynmt.datasets.TokenBatchSampler over a shuffled order; mean real target tokens."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    batches, total, real, longest, n = 0, 0, 0, 0, 0
    for i in order:
        s, t = pairs[i]
        longest = max(longest, s + 1, t + 1)
        real += t + 1
        n += 1
        if longest * n >= batch_size:
            batches, total = batches + 1, total + real
            real, longest, n = 0, 0, 0
    return total / max(1, batches)


def calibrate(pairs, target, seed):
    lo, hi = 256, 65536
    while lo < hi:  # smallest batch_size whose mean real target tokens reach `target`
        mid = (lo + hi) // 2
        if mean_target_tokens(pairs, mid, seed) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo, mean_target_tokens(pairs, lo, seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--target-tokens", type=float,
                    help="default: the tinynmt run's real target tokens a step")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--validate-every", type=int, default=0, help="steps; 0: never")
    a = ap.parse_args()
    cfg = yaml.safe_load((a.run_dir / "config.yaml").read_text())
    data, model, tr = cfg["data"], cfg["model"], cfg["training"]
    enc, dec = model["encoder"], model["decoder"]
    transformer = enc["type"] == "transformer" and dec["type"] == "transformer" and \
        dec.get("attention", "multihead") == "multihead"
    rnn = enc["type"] == "rnn" and dec["type"] == "rnn" and \
        dec.get("attention") == "luong-general" and dec.get("layers") == 1 and \
        enc.get("rnn_type") == dec.get("rnn_type") == "gru" and \
        dec.get("attention_placement", "auto") in ("auto", "luong")
    if not (transformer or rnn):
        sys.exit(f"joeynmt_config.py: {a.run_dir}: only Transformer runs with multihead "
                 "cross-attention and GRU runs with luong-general attention and one decoder "
                 "layer (what `tinynmt export --format joeynmt` takes) have a JoeyNMT twin")
    sp = spm.SentencePieceProcessor(model_file=str(a.run_dir / "spm.model"))
    a.out_dir.mkdir(parents=True, exist_ok=True)
    pieces = [sp.id_to_piece(i) for i in range(4, sp.get_piece_size())]
    (a.out_dir / "vocab.txt").write_text("\n".join(pieces) + "\n")

    def split(path):  # "data/multi30k/train.de" -> ("data/multi30k/train", "de")
        p = Path(path)
        return str(p.with_suffix("")), p.suffix[1:]

    train_prefix, src_lang = split(data["train"]["src"])
    _, trg_lang = split(data["train"]["tgt"])
    dev_prefix, _ = split(data["dev"]["src"])
    max_len = int(data.get("max_length", 100))
    src_lines = Path(data["train"]["src"]).read_text().splitlines()
    tgt_lines = Path(data["train"]["tgt"]).read_text().splitlines()
    pairs = [(len(s), len(t)) for s, t in
             zip(sp.encode(src_lines), sp.encode(tgt_lines)) if len(s) <= max_len and len(t) <= max_len]
    if a.target_tokens is None:
        a.target_tokens = tokens_per_step(a.run_dir / "metrics.jsonl")
    batch_size, real = calibrate(pairs, a.target_tokens, a.seed)

    side = lambda lang: {  # noqa: E731
        "lang": lang, "level": "bpe", "tokenizer_type": "sentencepiece",
        "tokenizer_cfg": {"model_file": str((a.run_dir / "spm.model").resolve())},
        "voc_file": str((a.out_dir / "vocab.txt").resolve()), "max_length": max_len,
        "lowercase": False, "normalize": False}
    stack = lambda c: {  # noqa: E731
        "type": "transformer", "num_layers": c["layers"], "num_heads": c["heads"],
        "embeddings": {"embedding_dim": c["d_model"], "scale": True},
        "hidden_size": c["d_model"], "ff_size": c["ff"], "dropout": c["dropout"],
        "layer_norm": c.get("norm", "pre")}
    joey = {
        "name": "tinynmt_twin", "joeynmt_version": "2.3.0",
        "model_dir": str((a.out_dir / "model").resolve()), "use_cuda": False, "fp16": False,
        "data": {"train": train_prefix, "dev": dev_prefix, "dataset_type": "plain",
                 "src": side(src_lang), "trg": side(trg_lang)},
        # JoeyNMT reads eval_metrics (what a validation scores) from `testing`, not `training`.
        "testing": {"beam_size": 5, "alpha": 0.6, "batch_size": 64, "batch_type": "sentence",
                    "eval_metrics": ["bleu"], "sacrebleu_cfg": {"tokenize": "13a"}},
        "training": {
            "random_seed": a.seed, "optimizer": "adam", "normalization": "tokens",
            "adam_betas": [tr.get("beta1", 0.9), tr.get("beta2", 0.98)],
            **schedule(tr),
            "label_smoothing": tr["label_smoothing"], "clip_grad_norm": tr["clip_norm"],
            "batch_size": batch_size, "batch_type": "token", "updates": a.steps,
            "epochs": 1000, "logging_freq": 50,
            "validation_freq": a.validate_every or (a.steps // 50 + 1) * 50,
            "early_stopping_metric": "bleu", "shuffle": True,
            "overwrite": True, "keep_best_ckpts": 1, "num_workers": 0},
        "model": {"initializer": "xavier_uniform", "embed_initializer": "xavier_uniform",
                  "tied_embeddings": bool(model.get("tie_all_embeddings", False)),
                  "tied_softmax": bool(dec.get("tie_embeddings", False)),
                  "encoder": stack(enc), "decoder": stack(dec)} if transformer else
        recurrent_model(enc, dec, enc.get("dropout", 0.1), dec.get("dropout", 0.1)),
    }
    (a.out_dir / "joeynmt.yaml").write_text(yaml.safe_dump(joey, sort_keys=False))
    print(f"batch_size {batch_size} (JoeyNMT token batches): {real:.0f} real target tokens a "
          f"batch on average, for tinynmt's {a.target_tokens:.0f}")


if __name__ == "__main__":
    main()
