"""PyTorch peer of `cargo xtask bench`: the bench's two workloads written the way a PyTorch
user writes an ensemble: all runs batched in one tensor, autograd and torch.optim.SGD.
A few warm-up steps are excluded from the timing.

Workloads (the same definitions as the Rust bench's configs):
- online: N = 1024, rank r = 4, batch 1, E runs each with its own sample. Teacher
  y = sign(<w*, x>), student tanh(<w0 + (alpha / r) U V, x>) with w0 a random unit vector
  (the `mixed` source at mu = 0), alpha = 4, PEFT's gaussian init (U = 0,
  V ~ N(0, 1/r^2) entrywise), plain SGD on U and V with lr = 0.2 / N on (1/2)(y_hat - y)^2
  summed over runs (each run's gradient is its own).
- paper: N = 1000, B = 500, linear teacher and student, rank 1, paper init (U = 1/N^2, unit V
  renormalised after every step), lr = 0.2, w0 = mu w* for mu = 0.1 ... 0.9 and 3 seeds:
  27 runs, the 9 runs of one seed sharing that seed's batch (3 batches of B x N Gaussians
  per step), loss (1/2) mean over the batch, summed over runs.

Prints one line: `torch <workload> runs=E: S steps/s, R sample-steps/s`.
Usage: python3 torch_peer.py {online,paper} [--runs E] [--steps S] [--device cpu]
"""
import time

import torch

from peer_cli import run_peer


def online(runs, steps, device):
    n, r, alpha = 1024, 4, 4.0
    scale = alpha / r
    torch.manual_seed(0)
    teacher = torch.nn.functional.normalize(torch.randn(runs, n, device=device), dim=1)
    w0 = torch.nn.functional.normalize(torch.randn(runs, n, device=device), dim=1)
    u = torch.zeros(runs, r, device=device, requires_grad=True)
    v = (torch.randn(runs, r, n, device=device) / r).requires_grad_()
    optimizer = torch.optim.SGD([u, v], lr=0.2 / n)

    def step():
        x = torch.randn(runs, n, device=device)
        vx = torch.einsum("ern,en->er", v, x)
        out = torch.tanh((w0 * x).sum(1) + scale * (u * vx).sum(1))
        labels = torch.sign((teacher * x).sum(1))
        loss = 0.5 * ((out - labels) ** 2).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return timed(step, steps, device)


def paper(steps, device):
    n, batch, seeds = 1000, 500, 3
    torch.manual_seed(0)
    teacher = torch.nn.functional.normalize(torch.randn(n, device=device), dim=0)
    mus = torch.linspace(0.1, 0.9, 9, device=device)
    u = torch.full((seeds, 9, 1), 1.0 / n**2, device=device, requires_grad=True)
    v = torch.nn.functional.normalize(torch.randn(seeds, 9, n, device=device), dim=2)
    v.requires_grad_()
    optimizer = torch.optim.SGD([u, v], lr=0.2)

    def step():
        x = torch.randn(seeds, batch, n, device=device)
        labels = x @ teacher                                        # [seeds, B]
        weights = mus[None, :, None] * teacher + u * v              # [seeds, 9, N]
        pred = torch.einsum("sbn,smn->smb", x, weights)
        loss = 0.5 * ((pred - labels[:, None, :]) ** 2).mean(2).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            v.div_(v.norm(dim=2, keepdim=True))

    return timed(step, steps, device)


def timed(step, steps, device):
    for _ in range(5):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    begin = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - begin


def main():
    add_device = lambda parser: parser.add_argument("--device", default="cpu")
    run_peer("torch", __doc__.splitlines()[0], online, paper, add_device)


if __name__ == "__main__":
    main()
