"""The guide in docs/ stays true: every chapter's python blocks run, every file and line range
it cites exists, the figure script and the examples it points to run."""
import os
import re
import runpy
import sys

import pytest

from doc_blocks import DOCS, ROOT, chapters, cited_ranges, python_blocks, run_chapter


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.name)
def test_chapter_code_blocks_run_in_order(chapter, monkeypatch):
    monkeypatch.chdir(ROOT)
    if chapter.name != "papers.md":
        assert python_blocks(chapter), f"{chapter.name} has no python block"
    run_chapter(chapter)


def test_the_reading_order_links_every_chapter_and_only_real_ones():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w-]+\.md)\)", index))
    assert linked - {"layer-tables.md", "training.md"} == {p.name for p in chapters()}
    for name in linked:
        assert (DOCS / name).is_file(), name


@pytest.mark.parametrize("page", [DOCS / "README.md"] + chapters(), ids=lambda p: p.name)
def test_cited_files_exist_and_line_ranges_fit(page):
    for path, start, end in cited_ranges(page):
        f = ROOT / path
        assert f.is_file(), f"{page.name} cites {path}, which does not exist"
        n = len(f.read_text(encoding="utf-8").splitlines())
        assert 1 <= start <= end <= n, f"{page.name} cites {path}:{start}-{end}; it has {n} lines"


def test_the_index_cites_ranges_for_the_chapters():
    assert len(cited_ranges(DOCS / "README.md")) >= 25


def test_the_autograd_chapter_shows_the_graph_print_graph_prints():
    import minidl
    from minidl.autograd import format_graph

    x = minidl.tensor([0.5, -1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    shown = (DOCS / "autograd.md").read_text(encoding="utf-8")
    assert format_graph(x * x + x.exp()) in shown


def test_the_figure_script_draws_every_picture(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["make_figures.py"])
    runpy.run_path(str(DOCS / "make_figures.py"))["main"](["--fast", "--out", str(tmp_path)])
    names = {"im2col.png", "lrn.png", "pool_routing.png", "curves.png", "conv1_filters.png",
             "feature_maps.png", "output_size.png", "autograd_graph.png", "inception.png",
             "winograd_tile.png"}
    assert names <= set(os.listdir(tmp_path))
    assert all((tmp_path / n).stat().st_size > 1000 for n in names)
    # the committed pictures the chapters show are there too
    for chapter in chapters():
        for picture in re.findall(r"\]\(figures/([\w-]+\.png)\)", chapter.read_text("utf-8")):
            assert (DOCS / "figures" / picture).is_file(), picture


def test_kernel_tour_agrees_with_the_direct_loops(capsys):
    rows = runpy.run_path(str(ROOT / "examples" / "kernel_tour.py"))["tour"]()
    targets = {name for _, name, _, _ in rows}
    assert {"direct", "reference", "numba"} <= targets
    assert len({family for family, _, _, _ in rows}) == 5
    assert all(diff < 1e-9 for _, _, diff, _ in rows)
    assert "× the loop" in capsys.readouterr().out


def test_custom_op_example_runs():
    runpy.run_path(str(ROOT / "examples" / "custom_op.py"))["main"]()


@pytest.mark.slow
def test_minimal_train_learns_in_one_epoch():
    accuracy = runpy.run_path(str(ROOT / "examples" / "minimal_train.py"))["train"](epochs=1)
    assert accuracy > 0.6          # 72.7% measured after one epoch; chance is 10%
