"""``--help`` states each default once, and the value it states is the one the parser uses."""
import os
import re
import sys

import pytest

from script_helpers import ROOT, run_script

sys.path.insert(0, os.path.join(ROOT, "examples"))


@pytest.mark.parametrize("script", ["train_alexnet.py", "finetune.py",
                                    "experiments/paper_claims.py"])
def test_help_says_each_default_once(script):
    text = run_script(script, "--help", timeout=120)
    flat = re.sub(r"\s+", " ", text)
    assert "(default: None)" not in flat and "(default: False)" not in flat
    # one option's help, up to the next option: never two "default" statements
    for chunk in re.split(r" (?=-{1,2}[a-z])", flat.split("options:")[1]):
        assert chunk.lower().count("default") <= 1, chunk


def test_stated_defaults_are_the_parsers():
    from common import make_parser
    p = make_parser("x", ["alexnet"], "alexnet", epochs=7, batch_size=32, lr=0.05, workers=2)
    fmt = p._get_formatter()
    helps = {a.option_strings[-1]: fmt._expand_help(a) for a in p._actions if a.help}
    for flag, value in (("--epochs", 7), ("--learning-rate", 0.05), ("--workers", 2),
                        ("--batch-size", 32), ("--seed", p.parse_args([]).seed)):
        assert helps[flag].endswith(f"(default: {value})"), helps[flag]
    for flag, text in helps.items():
        assert text.lower().count("default") <= 1 and "(default: None)" not in text, flag
