#!/usr/bin/env python3
"""Builds a CTranslate2 model from what `tinynmt export --format ctranslate2` wrote.

    ctranslate2_convert.py IN_DIR OUT_DIR [--quantization TYPE] [--force]

IN_DIR holds model.json (architecture, vocabularies, special tokens, which arrays are which) and
one NAME.npy per tinynmt parameter (torch Linear layout [out, in]) plus position_encodings.npy.
The model is described with CTranslate2's own spec API (TransformerSpec and its encoder/decoder
specs), validated, optimized (quantized when asked) and saved by CTranslate2; nothing here writes
CTranslate2's file format. The mapping follows models/transformer.cpp and
models/encoder_decoder.cpp:
  layer self_attn q/k/v_proj  -> self_attention.linear[0] (fused [q; k; v]), out_proj -> linear[1]
  decoder cross_attn q_proj   -> attention.linear[0], k/v_proj -> linear[1] (fused [k; v]),
                                 out_proj -> linear[2]
  ln1/ln2(/ln3)               -> the layer norm of each sublayer (before it with pre-norm, after
                                 the residual with post-norm, as CTranslate2's pre_norm says)
  ff.l1/l2                    -> ffn.linear_0/linear_1;  final_ln -> layer_norm (pre-norm only)
Exit codes: 0 done, 3 the ctranslate2 module cannot be imported (tinynmt prints how to install
it: scripts/install_peers.sh ctranslate2), 1 any other error (one line on stderr).
"""
import argparse
import json
import os
import shutil
import sys

try:
    import numpy as np
    import ctranslate2
    from ctranslate2.specs import common_spec, transformer_spec
except ImportError:
    sys.exit(3)


class Weights:
    def __init__(self, folder):
        self.folder = folder

    def __call__(self, name):
        return np.load(os.path.join(self.folder, name + ".npy"))


def set_linear(spec, w, name):
    spec.weight = w(name + ".weight")
    spec.bias = w(name + ".bias")


def set_fused(spec, w, names):
    spec.weight = np.concatenate([w(n + ".weight") for n in names], axis=0)
    spec.bias = np.concatenate([w(n + ".bias") for n in names], axis=0)


def set_norm(spec, w, name):
    spec.gamma = w(name + ".weight")
    spec.beta = w(name + ".bias")


def set_ffn(spec, w, scope, norm):
    set_norm(spec.layer_norm, w, scope + "." + norm)
    set_linear(spec.linear_0, w, scope + ".ff.l1")
    set_linear(spec.linear_1, w, scope + ".ff.l2")


def set_self_attention(spec, w, scope, norm):
    a = scope + ".self_attn"
    set_fused(spec.linear[0], w, [a + ".q_proj", a + ".k_proj", a + ".v_proj"])
    set_linear(spec.linear[1], w, a + ".out_proj")
    set_norm(spec.layer_norm, w, scope + "." + norm)


def set_cross_attention(spec, w, scope, norm):
    a = scope + ".cross_attn"
    set_linear(spec.linear[0], w, a + ".q_proj")
    set_fused(spec.linear[1], w, [a + ".k_proj", a + ".v_proj"])
    set_linear(spec.linear[2], w, a + ".out_proj")
    set_norm(spec.layer_norm, w, scope + "." + norm)


def build_spec(m, w):
    enc, dec = m["encoder"], m["decoder"]
    if m["activation"] != "relu":
        raise ValueError("activation %r: only relu is mapped" % m["activation"])
    relu = common_spec.Activation.RELU
    encoder = transformer_spec.TransformerEncoderSpec(
        enc["layers"], enc["heads"], pre_norm=enc["pre_norm"], activation=relu)
    decoder = transformer_spec.TransformerDecoderSpec(
        dec["layers"], dec["heads"], pre_norm=dec["pre_norm"], activation=relu)
    positions = w(m["position_encodings"])  # [max_positions, d_model], tinynmt's own table
    for side, emb in ((encoder, m["source_embedding"]), (decoder, m["target_embedding"])):
        embeddings = side.embeddings[0] if isinstance(side.embeddings, list) else side.embeddings
        embeddings.weight = w(emb)
        side.scale_embeddings = bool(m["scale_embeddings"])  # x * sqrt(d_model), then + PE
        side.position_encodings.encodings = positions
    for i, layer in enumerate(encoder.layer):
        scope = "encoder.layer%d" % i
        set_self_attention(layer.self_attention, w, scope, "ln1")
        set_ffn(layer.ffn, w, scope, "ln2")
    for i, layer in enumerate(decoder.layer):
        scope = "decoder.layer%d" % i
        set_self_attention(layer.self_attention, w, scope, "ln1")
        set_cross_attention(layer.attention, w, scope, "ln2")
        set_ffn(layer.ffn, w, scope, "ln3")
    if enc["pre_norm"]:
        set_norm(encoder.layer_norm, w, "encoder.final_ln")
    if dec["pre_norm"]:
        set_norm(decoder.layer_norm, w, "decoder.final_ln")
    decoder.projection.weight = w(m["output_weight"])  # [tgt_vocab, d_model]
    decoder.projection.bias = w(m["output_bias"])  # [tgt_vocab]
    return transformer_spec.TransformerSpec(encoder, decoder)


def configure(spec, m):
    special = m["special_tokens"]
    spec.config.unk_token = special["unk"]
    spec.config.bos_token = special["bos"]
    spec.config.eos_token = special["eos"]
    spec.config.decoder_start_token = m["decoder_start_token"]
    spec.config.add_source_bos = False
    spec.config.add_source_eos = bool(m["add_source_eos"])
    spec.config.layer_norm_epsilon = float(m["layer_norm_epsilon"])
    spec.register_source_vocabulary(m["source_vocabulary"])
    spec.register_target_vocabulary(m["target_vocabulary"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--quantization", default=None)
    p.add_argument("--force", action="store_true")
    a = p.parse_args()
    with open(os.path.join(a.input, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    if m.get("format") != "tinynmt-ctranslate2/1":
        raise ValueError("%s/model.json: unknown format %r" % (a.input, m.get("format")))
    spec = build_spec(m, Weights(a.input))
    configure(spec, m)
    spec.validate()
    spec.optimize(quantization=a.quantization)
    if os.path.isdir(a.output) and os.listdir(a.output):
        if not a.force:
            raise ValueError("%s: exists and is not empty (--force replaces it)" % a.output)
        shutil.rmtree(a.output)
    os.makedirs(a.output, exist_ok=True)
    spec.save(a.output)
    print("ctranslate2 %s: saved %s%s" % (ctranslate2.__version__, a.output,
          " (%s)" % a.quantization if a.quantization else ""))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for tinynmt to report
        print("ctranslate2_convert.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
