"""The README's "teaching core" table states each core file's length: keep it true.

Each row names files (a bare name such as ``conv.py`` is in the folder of the row's first
file) and their total line count as ``wc -l`` gives it. Small edits may drift a little; a
change of more than 10% (or 20 lines) means the README needs its numbers updated.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _core_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("**The teaching core**")
    table = text[start:text.index("\n\n", text.index("| file | lines |", start))]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[1].isdigit():
            continue
        names = re.findall(r"`([^`]+\.py)`", cells[0])
        first = pathlib.PurePosixPath(names[0])
        paths = [first] + [p if "/" in p else first.parent / p for p in names[1:]]
        rows.append(([ROOT / p for p in paths], int(cells[1])))
    return rows


def _lines(path):
    return path.read_bytes().count(b"\n")


def test_the_readme_lists_the_teaching_core():
    rows = _core_rows()
    assert len(rows) >= 8
    for paths, _ in rows:
        for p in paths:
            assert p.is_file(), f"README's teaching core names {p}, which does not exist"


def test_the_stated_line_counts_are_true():
    for paths, stated in _core_rows():
        actual = sum(_lines(p) for p in paths)
        assert abs(actual - stated) <= max(20, 0.1 * stated), (
            f"README says {[p.name for p in paths]} have {stated} lines; wc -l counts {actual}: "
            "update the teaching-core table")
