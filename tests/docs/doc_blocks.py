"""Read the guide's Markdown: its ```python blocks, and the `file:start-end` ranges it cites."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_RANGE = re.compile(r"`((?:minidl|kernels|examples|tests)/[\w/.-]+\.py):(\d+)-(\d+)`")


# Generated pages, not chapters of the guide, so they have no python blocks to run: the reports
# of examples/experiments (issues 10 and 15 name these paths), the layer tables
# (docs/make_tables.py) and the training record (docs/make_training_report.py).
REPORTS = {"transfer.md", "reproduction.md", "layer-tables.md", "training.md"}


def chapters():
    """Every Markdown page of the guide except its index and the experiments' reports."""
    return sorted(p for p in DOCS.glob("*.md") if p.name != "README.md" and p.name not in REPORTS)


def python_blocks(path):
    return _BLOCK.findall(Path(path).read_text(encoding="utf-8"))


def cited_ranges(path):
    """(file, start, end) for every `path/to/file.py:start-end` the page cites."""
    return [(f, int(a), int(b)) for f, a, b in _RANGE.findall(Path(path).read_text(encoding="utf-8"))]


_CITED = re.compile(_RANGE.pattern + r"(?: \(((?:`\w+`(?:, )?)+)\))?")


def cited_names(path):
    """(file, start, end, [names]) for every cited range, with the names in the brackets that
    follow it: `minidl/backend.py:92-106` (`get_array_module`)."""
    return [(f, int(a), int(b), re.findall(r"`(\w+)`", names or ""))
            for f, a, b, names in _CITED.findall(Path(path).read_text(encoding="utf-8"))]


def run_chapter(path):
    """Execute the page's python blocks in order, in one fresh namespace."""
    namespace = {"__name__": f"docs.{Path(path).stem}"}
    for i, code in enumerate(python_blocks(path)):
        exec(compile(code, f"{Path(path).name}[block {i}]", "exec"), namespace)
    return namespace
