"""The generated pages say what their generators write: the layer tables (docs/make_tables.py,
from ``summary``) and the training record (docs/make_training_report.py, from the runs kept in
docs/training/). Neither is typed by hand."""
import json
import os
import runpy

import pytest

from doc_blocks import DOCS

tables = runpy.run_path(str(DOCS / "make_tables.py"))
training = runpy.run_path(str(DOCS / "make_training_report.py"))


def check_net(name):
    s, totals = tables["measure"](name)
    assert json.loads((DOCS / "layer-tables.json").read_text("utf-8"))[name] == totals
    assert tables["table"](name, s, totals) in (DOCS / "layer-tables.md").read_text("utf-8")


def test_googlenet_table_is_what_summary_gives():
    check_net("googlenet")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_alexnet_and_vgg16_tables_are_what_summary_gives(name):
    check_net(name)


def test_the_training_record_is_generated_from_the_kept_runs():
    page = (DOCS / "training.md").read_text("utf-8")
    recorded = [n for n in training["NETS"] if (DOCS / "training" / f"{n}.jsonl").is_file()]
    assert "alexnet" in recorded
    for name in recorded:
        epochs, iterations, _, total_s = training["read"](name)
        assert training["section"](name, epochs, iterations, total_s) in page
        if epochs:
            assert (DOCS / "training" / f"{name}_curves.png").is_file()
    assert os.path.isfile(DOCS / "training" / "alexnet_conv1.npy")
