"""NumPy peer of `cargo xtask bench`: the bench's two workloads written the way a NumPy user
writes them, with hand-derived gradients.

Workloads (the same definitions as the Rust bench's configs):
- online: N = 1024, rank r = 4, batch 1. Teacher y = sign(<w*, x>), student
  tanh(<w0 + (alpha / r) U V, x>) with w0 a random unit vector (the `mixed` source at mu = 0),
  alpha = 4, PEFT's gaussian init (U = 0, V ~ N(0, 1/r^2) entrywise), plain SGD on U and V
  with lr = 0.2 / N on the loss (1/2)(y_hat - y)^2. Here one run is a Python loop over steps
  (the "NumPy loop" the bench's targets are stated against); --runs > 1 loops over runs.
- paper: the paper's setting N = 1000, B = 500, linear teacher and student, rank 1, paper
  init (U = 1/N^2, unit V renormalised after every step), lr = 0.2, w0 = mu w* for
  mu = 0.1 ... 0.9 and 3 seeds: 27 runs, the 9 runs of one seed sharing that seed's batch
  (3 batches of B x N Gaussians per step), loss (1/2) mean over the batch.

Prints one line: `numpy <workload> runs=E: S steps/s, R sample-steps/s`.
Usage: python3 numpy_peer.py {online,paper} [--runs E] [--steps S]
"""
import time

import numpy as np

from peer_cli import run_peer


def online(runs, steps):
    n, r, alpha = 1024, 4, 4.0
    lr = 0.2 / n
    scale = alpha / r
    rng = np.random.default_rng(0)
    started = 0.0
    for _ in range(runs):
        teacher = rng.standard_normal(n)
        teacher /= np.linalg.norm(teacher)
        w0 = rng.standard_normal(n)
        w0 /= np.linalg.norm(w0)
        u = np.zeros(r)
        v = rng.standard_normal((r, n)) / r
        begin = time.perf_counter()
        for _ in range(steps):
            x = rng.standard_normal(n)
            vx = v @ x
            pre = w0 @ x + scale * (u @ vx)
            out = np.tanh(pre)
            label = np.sign(teacher @ x)
            delta = (out - label) * (1.0 - out * out) * scale
            grad_u = delta * vx
            grad_v = delta * np.outer(u, x)
            u -= lr * grad_u
            v -= lr * grad_v
        started += time.perf_counter() - begin
    return started


def paper(steps):
    n, batch, seeds = 1000, 500, 3
    mus = np.linspace(0.1, 0.9, 9)
    lr = 0.2
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal(n)
    teacher /= np.linalg.norm(teacher)
    u = np.full((seeds, 9), 1.0 / n**2)
    v = rng.standard_normal((seeds, 9, n))
    v /= np.linalg.norm(v, axis=2, keepdims=True)
    begin = time.perf_counter()
    for _ in range(steps):
        x = rng.standard_normal((seeds, batch, n))
        tx = x @ teacher                                   # [seeds, B]
        vx = np.einsum("sbn,smn->smb", x, v)               # [seeds, 9, B]
        pred = mus[None, :, None] * tx[:, None, :] + u[:, :, None] * vx
        residual = (pred - tx[:, None, :]) / batch         # d loss / d pred
        grad_u = np.sum(residual * vx, axis=2)
        grad_v = u[:, :, None] * np.einsum("smb,sbn->smn", residual, x)
        u -= lr * grad_u
        v -= lr * grad_v
        v /= np.linalg.norm(v, axis=2, keepdims=True)
    return time.perf_counter() - begin


def main():
    run_peer("numpy", __doc__.splitlines()[0], online, paper)


if __name__ == "__main__":
    main()
