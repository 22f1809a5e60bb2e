"""Recomputes in numpy the output of a LoRA-adapted model from the files burn wrote.

Usage: python3 check_numpy.py DIR

DIR holds adapter_config.json and adapter_model.safetensors (the adapter, PEFT's format),
base_model.safetensors (PyTorch state dict: lin0.weight [8, 16], lin1.weight [4, 8],
lin1.bias [4]) and io.safetensors (input, lin0_output, output as burn computed them).
The model is output = lin1(relu(lin0(x))); an adapted layer computes
x W^T + b + scaling * x A^T B^T with scaling = lora_alpha / r (or / sqrt(r) with rsLoRA).
A layer in the config's modules_to_save takes its weight and bias from the adapter file
(base_model.model.<name>.weight and .bias, PEFT's layout) instead of the base model.
Needs only numpy and safetensors. Exits non-zero on any mismatch beyond 1e-5.
"""

import json
import math
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

TOLERANCE = 1e-5
PREFIX = "base_model.model."


def main(directory):
    with open(os.path.join(directory, "adapter_config.json")) as f:
        config = json.load(f)
    assert config["peft_type"] == "LORA", config["peft_type"]
    assert config["bias"] == "none" and not config["fan_in_fan_out"], config
    r, alpha = config["r"], config["lora_alpha"]
    scaling = alpha / math.sqrt(r) if config["use_rslora"] else alpha / r

    adapter_path = os.path.join(directory, "adapter_model.safetensors")
    with safe_open(adapter_path, framework="np") as f:
        assert f.metadata() == {"format": "pt"}, f.metadata()
    adapter = load_file(adapter_path)
    base = load_file(os.path.join(directory, "base_model.safetensors"))
    io = load_file(os.path.join(directory, "io.safetensors"))

    saved = config.get("modules_to_save") or []

    def layer(name, x):
        params = base
        if name in saved:
            params = {k.removeprefix(PREFIX): v for k, v in adapter.items() if k.startswith(f"{PREFIX}{name}.")}
            assert set(params) == {f"{name}.weight", f"{name}.bias"}, sorted(params)
        weight = params[f"{name}.weight"].astype(np.float64)  # [out, in]
        out = x @ weight.T
        if f"{name}.bias" in params:
            out = out + params[f"{name}.bias"]
        a_key, b_key = f"{PREFIX}{name}.lora_A.weight", f"{PREFIX}{name}.lora_B.weight"
        if a_key in adapter:
            a = adapter[a_key].astype(np.float64)  # [r, in]
            b = adapter[b_key].astype(np.float64)  # [out, r]
            assert a.shape == (r, weight.shape[1]), (a_key, a.shape)
            assert b.shape == (weight.shape[0], r), (b_key, b.shape)
            out = out + scaling * (x @ a.T) @ b.T
        return out

    x = io["input"].astype(np.float64)
    hidden = layer("lin0", x)
    output = layer("lin1", np.maximum(hidden, 0.0))
    errors = {
        "lin0_output": float(np.max(np.abs(hidden - io["lin0_output"]))),
        "output": float(np.max(np.abs(output - io["output"]))),
    }
    targets = config["target_modules"]
    expected_keys = {f"{PREFIX}{m}.lora_{f}.weight" for m in targets for f in "AB"}
    expected_keys |= {f"{PREFIX}{m}.{p}" for m in saved for p in ("weight", "bias")}
    assert set(adapter) == expected_keys, sorted(adapter)
    for name, error in errors.items():
        print(f"{name}: max |numpy - burn| = {error:.3e}")
        if not error < TOLERANCE:
            print(f"FAIL: {name} differs by {error} > {TOLERANCE}")
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
