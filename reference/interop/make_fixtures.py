#!/usr/bin/env python3
"""Regenerate the interop fixtures (shared/interop, copied into packages/*/src/fixtures/interop).

Needs transformers 5, peft 0.21, torch and tensorboard (not installable on the project's machines, which reach no
Python index: the committed fixtures were written by transformers 5.17.0, peft 0.21.0, torch 2.11.0 — see
expected.json's `generator`). Usage:

    python3 reference/interop/make_fixtures.py OUT_DIR [--vocab path/to/vocab.txt]

OUT_DIR gets hf-tiny-bert/, peft-lora/, tensorboard/, vocab.txt and expected.json, the layout LEL's interop tests
read (`LEL_INTEROP=OUT_DIR npx vitest run packages/models packages/peft packages/core -t interop`).
"""
import argparse
import json
import pathlib
import shutil

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from torch.utils.tensorboard import SummaryWriter
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

TEXTS = ["The movie was great!", "not good , dull plot .", "acting fun"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--vocab", type=pathlib.Path, default=pathlib.Path(__file__).with_name("vocab.txt"))
    args = ap.parse_args()
    out: pathlib.Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(args.vocab, out / "vocab.txt")

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=48, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=64, num_labels=3, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(out / "hf-tiny-bert")
    tokenizer = BertTokenizerFast(str(out / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(out / "hf-tiny-bert")

    enc = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits_base = model(**enc).logits

    lora = get_peft_model(
        model,
        LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"], lora_dropout=0.0, task_type="SEQ_CLS", init_lora_weights=False),
    ).eval()
    with torch.no_grad():
        logits_lora = lora(**enc).logits
    lora.save_pretrained(out / "peft-lora")
    merged = lora.merge_and_unload().eval()
    with torch.no_grad():
        logits_merged = merged(**enc).logits

    tb = out / "tensorboard"
    shutil.rmtree(tb, ignore_errors=True)
    writer = SummaryWriter(str(tb))
    for step, loss in enumerate([2.5, 1.75, 1.25, 1.0]):
        writer.add_scalar("train/loss", loss, step)
    writer.add_scalar("val/miou", 0.42, 3)
    writer.close()

    expected = {
        "generator": f"transformers {transformers.__version__}, peft {peft.__version__}, torch {torch.__version__}",
        "texts": TEXTS,
        "input_ids": enc["input_ids"].tolist(),
        "attention_mask": enc["attention_mask"].tolist(),
        "token_type_ids": enc["token_type_ids"].tolist(),
        "logits_base": logits_base.tolist(),
        "logits_lora": logits_lora.tolist(),
        "logits_merged": logits_merged.tolist(),
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=1))


if __name__ == "__main__":
    main()
