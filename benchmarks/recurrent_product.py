"""
The learned mix's bound: the rate of one biLSTM step's recurrent product on the original ELMo
geometry (both directions, `rows` sentences of 512 -> 16,384, as the engine's `baddbmm` runs it)
against this machine's large matrix-product rate (`elmo_speed.matmul_gflops`), and the same product
with MKL's packed weights (`torch.ops.mkl._mkl_linear`, packed once) measured in the same run.

    .venv/bin/python benchmarks/recurrent_product.py [--rows 32 16 1] [--threads 1 2]

Prints GFLOP/s of both ways and their share of the large-product rate; the machines here are noisy,
so compare ratios, and run it with nothing else on the cores.
"""

import argparse
import os
import sys
import time
from typing import Callable

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elmo_speed import matmul_gflops  # noqa: E402

HIDDEN, GATES = 512, 4 * 4096


def seconds_per_call(function: Callable[[], torch.Tensor], budget: float = 1.5) -> float:
    function()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        function()
        calls += 1
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[32, 16, 1])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    torch.manual_seed(0)
    print(
        f"{'threads':>7}{'rows':>6}{'mm GFLOP/s':>12}{'baddbmm':>9}{'share':>7}{'MKL packed':>12}"
    )
    for threads in args.threads:
        torch.set_num_threads(threads)
        rate = matmul_gflops()
        for rows in args.rows:
            hidden = torch.randn(2, rows, HIDDEN)
            weights = torch.randn(2, HIDDEN, GATES) * 0.01
            gates_from_input = torch.randn(2, rows, GATES)
            transposed = [weights[d].t().contiguous() for d in range(2)]
            packed = [torch.ops.mkl._mkl_reorder_linear_weight(w, rows) for w in transposed]

            def engine() -> torch.Tensor:
                return torch.baddbmm(gates_from_input, hidden, weights)

            def mkl() -> torch.Tensor:
                return torch.stack(
                    [
                        torch.ops.mkl._mkl_linear(hidden[d], packed[d], transposed[d], None, rows)
                        + gates_from_input[d]
                        for d in range(2)
                    ]
                )

            difference = (engine() - mkl()).abs().max().item()
            assert difference < 1e-3, difference
            flop = 2 * 2 * rows * HIDDEN * GATES
            ours, theirs = flop / seconds_per_call(engine) / 1e9, flop / seconds_per_call(mkl) / 1e9
            print(
                f"{threads:>7}{rows:>6}{rate:>12.1f}{ours:>9.1f}{ours / rate:>7.0%}{theirs:>12.1f}"
            )


if __name__ == "__main__":
    main()
