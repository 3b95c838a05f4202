"""benchmarks/distributed.py words its verdict from the measured ratios, not from a fixed text."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "benchmarks"))

import distributed  # noqa: E402


def measured(ratios):
    out = {}
    for name, r in zip(distributed.NETS, ratios):
        out[name, "single"] = {"step_ms": 100.0}
        out[name, "ddp"] = {"step_ms": 100.0 * r}
    return out


def test_the_verdict_follows_the_ratios():
    names = list(distributed.NETS)
    win = distributed.verdict(measured([0.5, 0.6]))
    assert win.startswith("Here they win") and f"{names[0]} 0.50" in win
    even = distributed.verdict(measured([1.02, 0.95]))
    assert even.startswith("Here they break even or lose") and f"{names[1]} 0.95" in even
    mixed = distributed.verdict(measured([0.7, 1.0]))
    assert mixed.startswith("Here the ratios are") and "break even" in mixed
    assert distributed.verdict({}) == ""
