"""Write every chapter of the guide as a Jupyter notebook, from its Markdown (jupytext).

    pip install -e ".[notebooks]"
    python docs/make_notebooks.py                 # docs/notebooks/<chapter>.ipynb
    python docs/make_notebooks.py --out DIR why-convolution.md winograd.md

The Markdown is the source: a notebook is never edited by hand, and docs/notebooks/ is not
committed (it is in .gitignore); run this again after changing a chapter. Each ```python block
becomes a code cell, the rest Markdown cells, in order. One cell is added at the top: it moves
the kernel to the repository root, where the chapters' code runs in the tests (the chapters
read files such as docs/layer-tables.json), and pictures are linked relative to docs/.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# generated pages (layer tables, reports) are not chapters; papers.md has no code
SKIP = {"README.md", "transfer.md", "reproduction.md", "layer-tables.md", "training.md",
        "papers.md"}

SETUP = '''# Added by docs/make_notebooks.py: run from the repository root, as the chapter's code expects.
import os
import pathlib

_root = pathlib.Path.cwd()
while not (_root / "setup.py").is_file() and _root != _root.parent:
    _root = _root.parent
os.chdir(_root)'''


def chapters():
    return sorted(n for n in os.listdir(HERE) if n.endswith(".md") and n not in SKIP)


def notebook(markdown_path):
    """The chapter as an nbformat notebook: jupytext's Markdown reader, plus the setup cell."""
    import jupytext
    from nbformat.v4 import new_code_cell, new_markdown_cell

    with open(markdown_path, encoding="utf-8") as f:
        text = f.read()
    # pictures: from docs/notebooks/ the figures are one folder up
    text = re.sub(r"\]\((figures|training)/", r"](../\1/", text)
    nb = jupytext.reads(text, fmt="md")
    # jupytext makes a ```bash block a %%bash cell; the chapters run only their python blocks,
    # so a shell command stays text to read (as in the chapter)
    for i, cell in enumerate(nb.cells):
        magic = re.match(r"%%(\w+)\n", cell.source) if cell.cell_type == "code" else None
        if magic:
            nb.cells[i] = new_markdown_cell(f"```{magic.group(1)}\n{cell.source[magic.end():]}\n```")
    nb.cells.insert(0, new_code_cell(SETUP))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def main(argv):
    import nbformat

    out = os.path.join(HERE, "notebooks")
    if "--out" in argv:
        i = argv.index("--out")
        out, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    names = argv or chapters()
    os.makedirs(out, exist_ok=True)
    written = []
    for name in names:
        nb = notebook(os.path.join(HERE, name))
        path = os.path.join(out, name[:-3] + ".ipynb")
        nbformat.write(nb, path)
        written.append(path)
    print(f"wrote {len(written)} notebooks into {out}")
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
