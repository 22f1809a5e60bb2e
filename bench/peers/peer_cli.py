"""The command line that every peer script of `cargo xtask bench` shares: the workload and
its size from the arguments, the timing from the peer, and the one line the bench reads:
`<peer> <workload> runs=E: S steps/s, R sample-steps/s, peak RSS M KiB` (the process's peak
resident memory, interpreter and libraries included)."""
import argparse
import resource

# The paper workload's runs (9 strengths x 3 seeds) and batch size.
PAPER_RUNS, PAPER_BATCH = 27, 500


def run_peer(name, description, online, paper, add_arguments=None):
    """Parses `{online,paper} [--runs E] [--steps S]` (plus any `add_arguments` adds, passed
    on to both workloads by name), times the workload and prints its rates."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("workload", choices=["online", "paper"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=2000)
    if add_arguments is not None:
        add_arguments(parser)
    args = vars(parser.parse_args())
    workload, runs, steps = args.pop("workload"), args.pop("runs"), args.pop("steps")
    if workload == "online":
        seconds = online(runs, steps, **args)
        batch = 1
    else:
        seconds = paper(steps, **args)
        runs, batch = PAPER_RUNS, PAPER_BATCH
    rate = steps / seconds
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{name} {workload} runs={runs}: {rate:.1f} steps/s, "
          f"{rate * runs * batch:.3e} sample-steps/s, peak RSS {peak_kib} KiB")
