"""Each line range the guide's index cites holds the code the chapter discusses: the names in
the brackets after it are defined inside the range (a function whole, from `def` to its last
line; a class from its `class` line; a constant from its assignment), and the chapter talks
about each of them."""
import re

import pytest

from doc_blocks import DOCS, ROOT, cited_names

INDEX = DOCS / "README.md"


def definitions(lines):
    """{name: [(first, last)]}: 1-based line spans of the defs, classes and top-level
    assignments in a file (a def's span runs to its body's last line)."""
    spans = {}
    for i, line in enumerate(lines):
        m = re.match(r"(\s*)(?:async\s+)?(def|class)\s+(\w+)|([A-Za-z_]\w*)\s*(?::[^=]*)?=[^=]", line)
        if not m:
            continue
        indent, kind, name = len(m.group(1) or ""), m.group(2), m.group(3) or m.group(4)
        last = i
        if kind == "def":
            for j in range(i + 1, len(lines)):
                text = lines[j]
                if text.strip() and len(text) - len(text.lstrip()) <= indent \
                        and not text.lstrip().startswith((")", "]", "}")):
                    break
                if text.strip():
                    last = j
        spans.setdefault(name, []).append((i + 1, last + 1))
    return spans


def rows():
    out = []
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        chapter = re.search(r"\]\(([\w-]+\.md)\)", line)
        if line.startswith("|") and chapter and "`" in line:
            out.append((chapter.group(1), line))
    return out


def test_every_chapter_row_cites_ranges_with_names():
    assert len(rows()) >= 13
    for chapter, line in rows():
        cited = cited_names_in(line)
        assert cited, f"{chapter}: no cited range"
        for path, start, end, names in cited:
            assert names, f"{chapter}: {path}:{start}-{end} names nothing it holds"


def cited_names_in(line):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as f:
        f.write(line)
    return cited_names(f.name)


@pytest.mark.parametrize("chapter,line", rows(), ids=[c for c, _ in rows()])
def test_cited_ranges_hold_the_names_the_chapter_discusses(chapter, line):
    text = (DOCS / chapter).read_text(encoding="utf-8")
    for path, start, end, names in cited_names_in(line):
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        assert 1 <= start <= end <= len(lines), f"{path}:{start}-{end}: it has {len(lines)} lines"
        spans = definitions(lines)
        for name in names:
            assert name in text, f"{chapter} does not discuss {name} ({path})"
            assert name in spans, f"{path} defines no {name}"
            inside = [(a, b) for a, b in spans[name] if start <= a <= end]
            assert inside, (f"{path}:{start}-{end} misses {name}, defined at "
                            f"{[a for a, _ in spans[name]]}")
            a, b = inside[0]
            if lines[a - 1].lstrip().startswith(("def ", "async def ")):
                assert b <= end, f"{path}:{start}-{end} cuts {name} (lines {a}-{b}) short"
