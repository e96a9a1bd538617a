#!/usr/bin/env python3
"""Summary of a GPU check (scripts/gpu_check.sh): reads its folder and prints the figures the
README quotes. Usage: scripts/gpu_summary.py DIR"""
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def bench_rows(report):
    rows = {}
    for c in (report or {}).get("configs", []):
        name = os.path.basename(c["config"]).replace("multi30k_de_en_", "").replace(".yaml", "")
        rows[name] = c
    return rows


def print_bench(d):
    fp32, bf16 = load(f"{d}/bench_fp32.json"), load(f"{d}/bench_bf16.json")
    if not fp32:
        print("bench: no results")
        return None
    m = fp32["machine"]
    print(f"LibTorch {m['torch_version']}, CUDA {m['cuda_version']}, {m['date']}")
    for rep in (fp32, bf16 or {"machine": {"device_peaks": []}}):
        for p in rep["machine"]["device_peaks"]:
            print(f"matmul peak {p['n']}x{p['n']} {p['dtype']} on {p['device']}: "
                  f"{p['gflops'] / 1e3:.1f} TFLOP/s (median of {p['repeats']})")
    a, b = bench_rows(fp32), bench_rows(bf16)
    print(f"{'config':<12} {'fp32 tok/s':>11} {'%peak':>6} {'bf16 tok/s':>11} {'%peak':>6} "
          f"{'bf16/fp32':>9} {'greedy/s':>9} {'beam5/s':>8} weights")
    for name, c in a.items():
        if "error" in c:
            print(f"{name:<12} error: {c['error']}")
            continue
        t, dec = c["training"], c.get("decoding", {})
        tb = b.get(name, {}).get("training", {})
        ratio = tb.get("tokens_per_s", 0) / t["tokens_per_s"] if tb and t["tokens_per_s"] else 0
        print(f"{name:<12} {t['tokens_per_s']:>11.0f} {t['pct_of_sgemm_peak']:>6.2f} "
              f"{tb.get('tokens_per_s', 0):>11.0f} {tb.get('pct_of_sgemm_peak', 0):>6.2f} "
              f"{ratio:>9.2f} {dec.get('greedy', {}).get('sentences_per_s', 0):>9.1f} "
              f"{dec.get('beam5', {}).get('sentences_per_s', 0):>8.1f} {dec.get('weights', '-')}")
    for label, rows in (("fp32", a), ("bf16", b)):
        for name, c in rows.items():
            k = c.get("training", {}).get("kernel_profile")
            if not k or not k.get("measured"):
                continue
            print(f"kernels {label} {name}: wall {k['wall_ms']:.2f} ms/step, GPU busy "
                  f"{k['busy_ms']:.2f} ms ({k['busy_pct']:.0f}%), {k['kernels']:.0f} kernels/step "
                  f"of {k['mean_kernel_us']:.1f} us, GEMM {k['gemm_ms']:.2f} ms "
                  f"({k['gemm_pct_of_busy']:.0f}% of busy)")
    return a.get("transformer", {}).get("training")


def print_batch_scaling(d, base):
    if not base:
        return
    print(f"Transformer fp32 by batch: 4096 tokens {base['tokens_per_s']:.0f} tok/s "
          f"({base['step_seconds'] * 1e3:.1f} ms/step)", end="")
    for b in (16384, 65536):
        rep = load(f"{d}/bench_fp32_batch{b}.json")
        t = rep and bench_rows(rep).get("transformer", {}).get("training")
        if t:
            print(f"; {b} tokens {t['tokens_per_s']:.0f} tok/s ({t['step_seconds'] * 1e3:.1f} "
                  f"ms/step)", end="")
    print()


def print_training(d):
    recs = []
    try:
        with open(f"{d}/metrics.jsonl") as f:
            recs = [json.loads(line) for line in f if line.strip()]
    except OSError:
        print("training: no metrics.jsonl")
        return
    train = [r for r in recs if r.get("type") == "train"]
    valid = [r for r in recs if r.get("type") == "valid"]
    if not train:
        print("training: no steps logged")
        return
    last = train[-1]
    val_s = sum(v.get("seconds", 0) for v in valid)
    epochs = last["epoch"] - 1 + 0.5  # the last epoch is partly done: count it as half
    per_epoch = (last["elapsed_s"] - val_s) / max(epochs, 1e-9)
    best = max(valid, key=lambda v: v["bleu"]) if valid else None
    print(f"training: {last['step']} steps, epoch {last['epoch']}, {last['elapsed_s']:.0f} s "
          f"({val_s:.0f} s of it validating, {len(valid)} validations); "
          f"{per_epoch:.1f} s of training per epoch; last logged {last['tokens_per_s']:.0f} tok/s")
    if best:
        print(f"best validation BLEU {best['bleu']:.2f} at step {best['step']}")
    for beam in (5, 1):
        try:
            with open(f"{d}/bleu.beam{beam}.txt") as f:
                text = f.read()
            m = re.search(r"BLEU[^0-9]*([0-9.]+)", text)
            print(f"test2016 beam {beam}: BLEU {m.group(1) if m else '?'}")
        except OSError:
            pass


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "runs/gpu_check"
    print_training(d)
    base = print_bench(d)
    print_batch_scaling(d, base)


if __name__ == "__main__":
    main()
