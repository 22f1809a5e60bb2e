"""Loads the adapter burn wrote into a PyTorch model through PEFT and compares outputs.

Usage: python3 check_peft.py DIR

DIR as for check_numpy.py. The torch model has the module names of burn's model (lin0, lin1),
gets the base weights of base_model.safetensors, and PeftModel.from_pretrained loads the
adapter; its output for `input` must match burn's `output` to 1e-5. Needs torch, peft and
safetensors.
"""

import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file

TOLERANCE = 1e-5


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin0 = torch.nn.Linear(16, 8, bias=False)
        self.lin1 = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.lin1(torch.relu(self.lin0(x)))


def main(directory):
    net = Net()
    net.load_state_dict(load_file(os.path.join(directory, "base_model.safetensors")))
    model = PeftModel.from_pretrained(net, directory).eval()
    io = load_file(os.path.join(directory, "io.safetensors"))
    with torch.no_grad():
        output = model(io["input"])
    error = (output - io["output"]).abs().max().item()
    print(f"output: max |PEFT - burn| = {error:.3e}")
    if not error < TOLERANCE:
        print(f"FAIL: outputs differ by {error} > {TOLERANCE}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
