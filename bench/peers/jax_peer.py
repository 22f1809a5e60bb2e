"""JAX peer of `cargo xtask bench`: the bench's two workloads written the way a JAX user
writes an ensemble on one machine: one run's step as a pure function differentiated by
jax.grad, vmapped over runs, the steps in lax.scan, all under jit. Compilation is excluded
from the timing (one warm-up call with the same shapes).

Workloads (the same definitions as the Rust bench's configs):
- online: N = 1024, rank r = 4, batch 1, E runs each with its own sample stream. Teacher
  y = sign(<w*, x>), student tanh(<w0 + (alpha / r) U V, x>) with w0 a random unit vector
  (the `mixed` source at mu = 0), alpha = 4, PEFT's gaussian init (U = 0,
  V ~ N(0, 1/r^2) entrywise), plain SGD on U and V with lr = 0.2 / N on (1/2)(y_hat - y)^2.
- paper: N = 1000, B = 500, linear teacher and student, rank 1, paper init (U = 1/N^2, unit V
  renormalised after every step), lr = 0.2, w0 = mu w* for mu = 0.1 ... 0.9 and 3 seeds:
  27 runs, the 9 runs of one seed sharing that seed's batch (3 batches of B x N Gaussians
  per step), loss (1/2) mean over the batch.

Install: pip install jax (the CPU wheel). Prints one line:
`jax <workload> runs=E: S steps/s, R sample-steps/s`.
Usage: python3 jax_peer.py {online,paper} [--runs E] [--steps S]
"""
import time

import jax
import jax.numpy as jnp

from peer_cli import run_peer


def online(runs, steps):
    n, r, alpha = 1024, 4, 4.0
    lr = 0.2 / n
    scale = alpha / r

    def loss(params, w0, teacher, x):
        u, v = params
        out = jnp.tanh(w0 @ x + scale * (u @ (v @ x)))
        return 0.5 * (out - jnp.sign(teacher @ x)) ** 2

    grad = jax.grad(loss)

    def run(key, w0, teacher, params):
        def step(params, index):
            x = jax.random.normal(jax.random.fold_in(key, index), (n,))
            g = grad(params, w0, teacher, x)
            return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g), None

        params, _ = jax.lax.scan(step, params, jnp.arange(steps))
        return params

    ensemble = jax.jit(jax.vmap(run))
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    unit = lambda a: a / jnp.linalg.norm(a, axis=-1, keepdims=True)
    teacher = unit(jax.random.normal(keys[0], (runs, n)))
    w0 = unit(jax.random.normal(keys[1], (runs, n)))
    params = (jnp.zeros((runs, r)), jax.random.normal(keys[2], (runs, r, n)) / r)
    streams = jax.random.split(keys[3], runs)
    jax.block_until_ready(ensemble(streams, w0, teacher, params))
    begin = time.perf_counter()
    jax.block_until_ready(ensemble(streams, w0, teacher, params))
    return time.perf_counter() - begin


def paper(steps):
    n, batch, seeds = 1000, 500, 3
    lr = 0.2
    mus = jnp.linspace(0.1, 0.9, 9)
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    teacher = jax.random.normal(keys[0], (n,))
    teacher = teacher / jnp.linalg.norm(teacher)

    def loss(params, mu, x, labels):
        u, v = params
        return 0.5 * jnp.mean((x @ (mu * teacher + u * v) - labels) ** 2)

    grad = jax.grad(loss)

    def seed_group(key, params):
        def step(params, index):
            x = jax.random.normal(jax.random.fold_in(key, index), (batch, n))
            labels = x @ teacher
            g = jax.vmap(grad, in_axes=(0, 0, None, None))(params, mus, x, labels)
            u, v = jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g)
            return (u, v / jnp.linalg.norm(v, axis=-1, keepdims=True)), None

        params, _ = jax.lax.scan(step, params, jnp.arange(steps))
        return params

    ensemble = jax.jit(jax.vmap(seed_group))
    v = jax.random.normal(keys[1], (seeds, 9, n))
    params = (jnp.full((seeds, 9), 1.0 / n**2), v / jnp.linalg.norm(v, axis=-1, keepdims=True))
    streams = jax.random.split(keys[2], seeds)
    jax.block_until_ready(ensemble(streams, params))
    begin = time.perf_counter()
    jax.block_until_ready(ensemble(streams, params))
    return time.perf_counter() - begin


def main():
    run_peer("jax", __doc__.splitlines()[0], online, paper)


if __name__ == "__main__":
    main()
