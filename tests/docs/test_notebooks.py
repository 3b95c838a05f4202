"""The chapters as Jupyter notebooks (docs/make_notebooks.py): each notebook holds its chapter's
code, in order, and generated notebooks run end to end in a real kernel (nbclient)."""
import runpy

import pytest

from doc_blocks import DOCS, python_blocks

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
nbformat = pytest.importorskip("nbformat")

make = runpy.run_path(str(DOCS / "make_notebooks.py"))


@pytest.mark.parametrize("name", make["chapters"]())
def test_a_chapter_becomes_a_notebook_with_its_code_in_order(name):
    nb = make["notebook"](str(DOCS / name))
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0] == make["SETUP"]
    assert [c.strip() for c in code[1:]] == [b.strip() for b in python_blocks(DOCS / name)]
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "](figures/" not in text            # pictures are linked from docs/notebooks/


def test_generated_notebooks_run_end_to_end(tmp_path):
    written = make["main"](["--out", str(tmp_path), "tensors.md", "winograd.md"])
    assert len(written) == 2
    for path in written:
        nb = nbformat.read(path, as_version=4)
        # the kernel starts in docs/, as for a notebook opened from docs/notebooks/
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(DOCS)}}).execute()
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert any("text" in o for o in outputs)     # the chapters print
