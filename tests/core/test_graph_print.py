"""minidl.autograd.print_graph / format_graph / to_dot: the graph of y = x*x + exp(x)."""
import numpy as np

import minidl
from minidl import autograd


def _expression():
    x = minidl.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    return x, x * x + minidl.exp(x)


def test_graph_nodes_name_ops_shapes_and_saved_arrays():
    x, y = _expression()
    records = autograd.graph_nodes(y)
    ops = [r["op"] for r in records]
    assert ops == ["AddBackward", "MulBackward", "ExpBackward", "leaf"]
    add, mul, exp, leaf = records
    assert add["inputs"] == [1, 2]
    assert mul["inputs"] == [3, 3]            # x used twice by one node, met once as a leaf
    assert exp["inputs"] == [3]
    assert all(r["shape"] == "(3,) float64" for r in records)
    assert mul["saved"] == ["(3,) float64", "(3,) float64"]   # both factors, for d(x*x)
    assert exp["saved"] == ["(3,) float64"]                   # exp keeps its output
    assert add["saved"] == []


def test_format_graph_indents_and_marks_repeats():
    _, y = _expression()
    text = autograd.format_graph(y)
    assert text.splitlines() == [
        "#0 AddBackward -> (3,) float64   saved: nothing",
        "  #1 MulBackward -> (3,) float64   saved: (3,) float64, (3,) float64",
        "    #3 leaf -> (3,) float64",
        "    #3 leaf (above)",
        "  #2 ExpBackward -> (3,) float64   saved: (3,) float64",
        "    #3 leaf (above)",
    ]


def test_print_graph_prints_format_graph(capsys):
    _, y = _expression()
    autograd.print_graph(y)
    assert capsys.readouterr().out.strip() == autograd.format_graph(y)


def test_graph_after_backward_shows_the_freed_output_node():
    _, y = _expression()
    y.sum().backward()
    assert "saved: freed by backward" in autograd.format_graph(y)


def test_no_graph_for_tensors_without_grad():
    assert "no graph" in autograd.format_graph(minidl.tensor([1.0]))
    assert autograd.format_graph(minidl.tensor([1.0], requires_grad=True)) == \
        "#0 leaf -> (1,) float32"


def test_to_dot_has_a_box_per_op_an_ellipse_per_leaf_and_the_edges():
    _, y = _expression()
    dot = autograd.to_dot(y)
    assert dot.startswith("digraph minidl {") and dot.rstrip().endswith("}")
    assert dot.count("shape=box") == 3 and dot.count("shape=ellipse") == 1
    edges = sorted(line.strip() for line in dot.splitlines() if "->" in line)
    assert edges == ["n1 -> n0;", "n2 -> n0;", "n3 -> n1;", "n3 -> n1;", "n3 -> n2;"]
    assert 'label="ExpBackward\\n(3,) float64\\nsaved (3,) float64"' in dot
