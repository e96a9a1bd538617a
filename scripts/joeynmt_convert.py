#!/usr/bin/env python3
"""Builds a JoeyNMT 2.3 model directory from what `tinynmt export --format joeynmt` wrote.

    joeynmt_convert.py IN_DIR OUT_DIR [--force]

IN_DIR holds model.json (architecture, vocabularies, special tokens, the output layer's names) and
one NAME.npy per tinynmt parameter (torch layout). OUT_DIR gets config.yaml (a JoeyNMT config:
the same recurrent encoder and decoder, SentencePiece pieces, no lowercasing), vocab.txt (the
pieces; JoeyNMT puts <unk> first and <pad> second, tinynmt the other way round, so the embedding
and output rows are permuted to JoeyNMT's ids) and model.ckpt ({"model_state": ...}), loaded back
into JoeyNMT's own model (joeynmt.model.build_model) with every parameter checked.

The mapping follows models/rnn_encoder.cpp, models/rnn_decoder.cpp (luong placement) and JoeyNMT's
encoders.py/decoders.py:
  src_embed.weight, tgt_embed.weight   -> src_embed.lut.weight, trg_embed.lut.weight (rows permuted)
  encoder.gru.*                        -> encoder.rnn.* (the same torch GRU layout)
  decoder.w_ih_l0 [3H, E], w_feed [3H, H] -> decoder.rnn.weight_ih_l0 [3H, E + H] (input feeding
                                          concatenates [embedding; h~] in that order)
  decoder.w_hh_l0, b_ih_l0, b_hh_l0    -> decoder.rnn.weight_hh_l0, bias_ih_l0, bias_hh_l0
  decoder.bridge_h                     -> decoder.bridge_layer (tanh of it starts the decoder)
  decoder.attention.w (luong general)  -> decoder.attention.key_layer
  decoder.readout on [c; h]            -> decoder.att_vector_layer on [h; c] (columns swapped)
  out_weight, out_bias                 -> decoder.output_layer.weight, .bias (JoeyNMT has no output
                                          bias; biased_output_layer adds one, see below)
Exit codes: 0 done, 3 joeynmt (or torch, numpy, yaml) cannot be imported (tinynmt prints how to
install it: scripts/install_peers.sh joeynmt), 1 any other error (one line on stderr).
"""
import argparse
import copy
import json
import os
import shutil
import sys

try:
    import numpy as np
    import torch
    import yaml
    from joeynmt import model as joey_model
    from joeynmt.config import parse_global_args
    from joeynmt.vocabulary import build_vocab
except ImportError:
    sys.exit(3)


def biased_output_layer(model):
    """tinynmt's output layer has a bias (models/encoder_decoder.cpp out_bias); JoeyNMT's recurrent
    decoder has none (nn.Linear(hidden, vocab, bias=False)). Gives `model` one, zero until loaded."""
    old = model.decoder.output_layer
    model.decoder.output_layer = torch.nn.Linear(old.in_features, old.out_features, bias=True)
    torch.nn.init.zeros_(model.decoder.output_layer.bias)
    return model


def build_model(model_cfg, src_vocab, trg_vocab):
    """joeynmt.model.build_model with the output bias of a tinynmt twin."""
    return biased_output_layer(joey_model.build_model(model_cfg, src_vocab, trg_vocab))


def recurrent_model(enc, dec, enc_dropout, dec_dropout):
    """JoeyNMT's model section for tinynmt's RNN encoder and decoder sections (the keys rnn_type,
    layers, embedding_dim, hidden_size, bidirectional, input_feeding); luong attention, bridge.
    Dropout: tinynmt drops the encoder's embeddings and the decoder's h~ (and between layers);
    JoeyNMT's emb_dropout, dropout and hidden_dropout get the same rate."""
    return {
        "initializer": "xavier_uniform", "tied_embeddings": False, "tied_softmax": False,
        "encoder": {"type": "recurrent", "rnn_type": enc["rnn_type"],
                    "num_layers": enc["layers"], "hidden_size": enc["hidden_size"],
                    "bidirectional": enc.get("bidirectional", True), "dropout": enc_dropout,
                    "embeddings": {"embedding_dim": enc["embedding_dim"], "scale": False,
                                   "dropout": enc_dropout}},
        "decoder": {"type": "recurrent", "rnn_type": dec["rnn_type"],
                    "num_layers": dec["layers"], "hidden_size": dec["hidden_size"],
                    "attention": "luong", "init_hidden": "bridge",
                    "input_feeding": dec.get("input_feeding", True), "dropout": dec_dropout,
                    "hidden_dropout": dec_dropout,
                    "embeddings": {"embedding_dim": dec["embedding_dim"], "scale": False,
                                   "dropout": dec_dropout}}}


def joeynmt_config(m, out_dir):
    enc, dec = m["encoder"], m["decoder"]
    specials = m["special_tokens"]
    spm = os.path.abspath(os.path.join(out_dir, "spm.model"))  # tinynmt copies it there
    side = lambda lang: {  # noqa: E731
        "lang": lang, "level": "bpe", "tokenizer_type": "sentencepiece",
        "tokenizer_cfg": {"model_file": spm},
        "voc_file": os.path.abspath(os.path.join(out_dir, "vocab.txt")),
        "max_length": 1000, "lowercase": False, "normalize": False}
    return {
        "name": "tinynmt_twin", "joeynmt_version": "2.3.0",
        "model_dir": os.path.abspath(out_dir), "use_cuda": False, "fp16": False,
        "data": {"dataset_type": "plain", "src": side("src"), "trg": side("trg"),
                 "special_symbols": {"unk_token": specials["unk"], "pad_token": specials["pad"],
                                     "bos_token": specials["bos"], "eos_token": specials["eos"]}},
        "testing": {"load_model": os.path.abspath(os.path.join(out_dir, "model.ckpt")),
                    "beam_size": 5, "beam_alpha": 0.6, "batch_size": 64,
                    "batch_type": "sentence", "eval_metrics": ["bleu"],
                    "sacrebleu_cfg": {"tokenize": "13a"}},
        "training": {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 64,
                     "batch_type": "sentence", "overwrite": True},
        "model": recurrent_model(enc, dec, 0.0, 0.0),
    }


def state_dict(m, w, src_perm, trg_perm):
    """JoeyNMT's parameters from tinynmt's arrays (the mapping in the header)."""
    sd = {"src_embed.lut.weight": w("src_embed.weight")[src_perm],
          "trg_embed.lut.weight": w("tgt_embed.weight")[trg_perm],
          "decoder.output_layer.weight": w(m["output_weight"])[trg_perm],
          "decoder.output_layer.bias": w(m["output_bias"])[trg_perm],
          "decoder.bridge_layer.weight": w("decoder.bridge_h.weight"),
          "decoder.bridge_layer.bias": w("decoder.bridge_h.bias"),
          "decoder.attention.key_layer.weight": w("decoder.attention.w.weight"),
          "decoder.rnn.weight_hh_l0": w("decoder.w_hh_l0"),
          "decoder.rnn.bias_ih_l0": w("decoder.b_ih_l0"),
          "decoder.rnn.bias_hh_l0": w("decoder.b_hh_l0")}
    for name in m["parameters"]:
        if name.startswith("encoder.gru."):
            sd["encoder.rnn." + name[len("encoder.gru."):]] = w(name)
    w_ih = w("decoder.w_ih_l0")
    sd["decoder.rnn.weight_ih_l0"] = (np.concatenate([w_ih, w("decoder.w_feed")], axis=1)
                                      if m["decoder"]["input_feeding"] else w_ih)
    readout = w("decoder.readout.weight")  # [H, ctx + H] over [c; h]
    ctx = readout.shape[1] - m["decoder"]["hidden_size"]
    sd["decoder.att_vector_layer.weight"] = np.concatenate([readout[:, ctx:], readout[:, :ctx]], 1)
    sd["decoder.att_vector_layer.bias"] = w("decoder.readout.bias")
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


def permutation(joey_vocab, tinynmt_pieces):
    """tinynmt id of each JoeyNMT id (JoeyNMT's vocabulary must hold every piece, once)."""
    perm = np.full(len(joey_vocab), -1)
    for i, piece in enumerate(tinynmt_pieces):
        perm[joey_vocab.lookup(piece)] = i
    if len(joey_vocab) != len(tinynmt_pieces) or (perm < 0).any():
        raise ValueError("JoeyNMT's vocabulary from vocab.txt is not tinynmt's pieces")
    return perm


def convert(in_dir, out_dir):
    with open(os.path.join(in_dir, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    if m.get("format") != "tinynmt-joeynmt/1":
        raise ValueError("%s/model.json: unknown format %r" % (in_dir, m.get("format")))
    if m["source_vocabulary"] != m["target_vocabulary"]:
        raise ValueError("a joint vocabulary is needed (data.tokenizer.joint: true)")
    pieces = m["target_vocabulary"]
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(pieces[4:]) + "\n")
    cfg = joeynmt_config(m, out_dir)
    with open(os.path.join(out_dir, "config.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    parsed = copy.deepcopy(cfg)  # JoeyNMT checks that testing.load_model exists: not yet
    del parsed["testing"]["load_model"]
    args = parse_global_args(parsed, rank=0, mode="test")
    src_vocab, trg_vocab = build_vocab(args.data)
    perm = permutation(trg_vocab, pieces)
    sd = state_dict(m, lambda n: np.load(os.path.join(in_dir, n + ".npy")), perm, perm)
    model = build_model(args.model, src_vocab, trg_vocab)
    model.load_state_dict(sd, strict=True)  # every JoeyNMT parameter set, nothing left over
    for name, p in model.named_parameters():
        if p.shape != sd[name].shape:
            raise ValueError("%s: JoeyNMT %s, tinynmt %s" % (name, p.shape, sd[name].shape))
    torch.save({"model_state": sd, "steps": 0}, os.path.join(out_dir, "model.ckpt"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--force", action="store_true")
    a = p.parse_args()
    try:
        if os.path.isdir(a.output) and os.listdir(a.output):
            if not a.force:
                raise ValueError("%s: exists and is not empty (give --force)" % a.output)
            shutil.rmtree(a.output)
        os.makedirs(a.output, exist_ok=True)
        convert(a.input, a.output)
    except Exception as e:  # noqa: BLE001 (one line for tinynmt's error message)
        print("joeynmt_convert.py: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
