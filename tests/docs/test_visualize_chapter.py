"""Chapter 11 ("What did the net learn?"): its figure script draws every picture the chapter
shows, and the numbers the chapter quotes are those of the run the pictures came from."""
import json
import re
import runpy
import sys

import pytest

from doc_blocks import DOCS

pytest.importorskip("matplotlib")
CHAPTER = DOCS / "visualize.md"


def shown():
    return re.findall(r"\]\(figures/(visualize_[\w-]+\.png)\)", CHAPTER.read_text("utf-8"))


@pytest.mark.slow
def test_the_figure_script_draws_every_picture_the_chapter_shows(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["make_visualize_figures.py"])
    main = runpy.run_path(str(DOCS / "make_visualize_figures.py"))["main"]
    entries, facts = main(["--fast", "--out", str(tmp_path)])
    drawn = {p.name for p in tmp_path.glob("visualize_*.png")}
    # the conv2 channel drawn whole depends on the net: compare it by its prefix
    channel = lambda n: re.sub(r"channel\d+", "channel", n)   # noqa: E731
    assert {channel(n) for n in shown()} - {"visualize_explanations.png"} <= \
        {channel(n) for n in drawn}
    assert {e[0] for e in entries} == drawn
    assert (tmp_path / "visualize_facts.json").is_file() and facts["images"] == 40


def test_the_chapter_quotes_its_own_run():
    facts = json.loads((DOCS / "figures" / "visualize_facts.json").read_text("utf-8"))
    text = CHAPTER.read_text("utf-8")
    assert facts["checkpoint"] == "runs/alexnet/checkpoint_best.safetensors"
    assert f"**{100 * facts['accuracy']:.1f}%**" in text
    for n, true, predicted in facts["confused"]:
        assert f"{true} → {predicted} {n}" in text
    for name in ("Shirt", "Coat", "Trouser", "Bag"):
        assert f"{100 * facts['per_class'][name]:g}%" in text, name
    for picture in shown():
        assert (DOCS / "figures" / picture).is_file(), picture
