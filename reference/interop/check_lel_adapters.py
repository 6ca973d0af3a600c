#!/usr/bin/env python3
"""LEL → Python: load the adapters LEL wrote in peft's format with peft itself and compare the logits.

Needs transformers 5 and peft 0.21 (not installable on the project's machines). First let LEL's interop test keep
what it writes:

    LEL_INTEROP_OUT=/tmp/lel-out npx vitest run packages/peft/src/interop.test.ts
    python3 reference/interop/check_lel_adapters.py /tmp/lel-out packages/peft/src/fixtures/interop

Each saved folder holds `lel_logits.json`, LEL's logits on the fixture's batch with that adapter.
"""
import json
import pathlib
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import BertForSequenceClassification

TOL = 1e-5


def main() -> None:
    lel, fixtures = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    exp = json.loads((fixtures / "expected.json").read_text())
    inputs = {k: torch.tensor(exp[k]) for k in ("input_ids", "attention_mask", "token_type_ids")}

    def base() -> BertForSequenceClassification:
        return BertForSequenceClassification.from_pretrained(fixtures / "hf-tiny-bert").eval()

    def check(name: str, model: torch.nn.Module) -> None:
        want = torch.tensor(json.loads((lel / name / "lel_logits.json").read_text()))
        with torch.no_grad():
            got = model(**inputs).logits
        diff = (got - want).abs().max().item()
        print(f"{name}: max |peft − LEL| = {diff:.3g}")
        assert diff <= TOL, name

    # LoRA and KronA (as LoKr): peft's own loader.
    for name in ("lel-lora", "krona"):
        check(name, PeftModel.from_pretrained(base(), lel / name).eval())
    # BitFit has no peft type: its tensors are the model's own, under transformers' names.
    model = base()
    state = {k.removeprefix("base_model.model."): v for k, v in load_file(lel / "bitfit" / "adapter_model.safetensors").items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    check("bitfit", model.eval())


if __name__ == "__main__":
    main()
