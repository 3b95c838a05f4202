"""Looking at an autograd graph: ``print_graph``, ``format_graph``, ``to_dot``, ``graph_nodes``.

They read what the engine (`autograd.py`) leaves on a tensor: ``grad_fn``, each node's
``inputs`` and saved arrays, and whether backward has freed them. Also importable from
``minidl.autograd``.
"""


def _describe(shape, dtype):
    return f"{tuple(shape)} {dtype}"


def graph_nodes(output):
    """The graph behind the Tensor `output`, as a list of dicts in depth-first order from the
    output (each node once): ``{"id", "op", "shape", "saved", "inputs"}`` for a node (``op``
    such as ``"MulBackward"``, ``shape`` its output's, ``saved`` the shapes and dtypes of its
    saved arrays, ``freed`` whether backward has already freed them, ``inputs`` the ids of what
    feeds it) and ``{"id", "op": "leaf", "shape"}`` for a leaf that requires grad. Ids count
    from 0 (the output's node)."""
    records, ids = [], {}

    def visit(key, make):
        """The id of the node or leaf `key`, making its record the first time it is met."""
        if key not in ids:
            ids[key] = len(records)
            records.append(make(ids[key]))
        return ids[key]

    def node_record(node, shape, dtype):
        return visit(id(node), lambda i: {
            "id": i, "op": f"{type(node).__name__}Backward", "shape": _describe(shape, dtype),
            "saved": [None if a is None else _describe(a.shape, a.dtype) for a in node._saved],
            "freed": node._freed, "inputs": []})

    if output.grad_fn is None:
        if output.requires_grad:
            visit(id(output), lambda i: {"id": i, "op": "leaf",
                                         "shape": _describe(output.shape, output.dtype)})
        return records
    stack = [(output.grad_fn, node_record(output.grad_fn, output.shape, output.dtype))]
    done = set()
    while stack:  # depth first, without recursion (long chains are fine)
        node, i = stack.pop()
        if i in done:
            continue
        done.add(i)
        children = []
        for t in node.inputs:
            if t is None:
                continue
            if t.grad_fn is None:
                j = visit(id(t), lambda k, t=t: {"id": k, "op": "leaf",
                                                 "shape": _describe(t.shape, t.dtype)})
            else:
                j = node_record(t.grad_fn, t.shape, t.dtype)
                children.append((t.grad_fn, j))
            records[i]["inputs"].append(j)
        stack.extend(reversed(children))
    return records


def format_graph(output):
    """The graph behind `output` as text, one line per node, indented under its consumer; a
    node or leaf met again is written ``#id (above)``."""
    records = graph_nodes(output)
    if not records:
        return "(no graph: the tensor does not require grad)"
    lines, shown = [], set()

    def line(i, depth):
        r = records[i]
        pad = "  " * depth
        if i in shown:
            lines.append(f"{pad}#{i} {r['op']} (above)")
            return []
        shown.add(i)
        text = f"{pad}#{i} {r['op']} -> {r['shape']}"
        if r["op"] != "leaf":
            saved = "freed by backward" if r["freed"] else ", ".join(
                "None" if s is None else s for s in r["saved"]) or "nothing"
            text += f"   saved: {saved}"
        lines.append(text)
        return r.get("inputs", [])

    stack = [(0, 0)]
    while stack:
        i, depth = stack.pop()
        stack.extend((j, depth + 1) for j in reversed(line(i, depth)))
    return "\n".join(lines)


def print_graph(output):
    """Print the graph behind `output` (see ``format_graph``). For ``y = x*x + exp(x)``::

        #0 AddBackward -> (3,) float32   saved: nothing
          #1 MulBackward -> (3,) float32   saved: (3,) float32, (3,) float32
            #3 leaf -> (3,) float32
            #3 leaf (above)
          #2 ExpBackward -> (3,) float32   saved: (3,) float32
            #3 leaf (above)

    After ``backward()`` (without ``retain_graph``) the nodes have let go of their inputs and
    saved arrays, and only the output's node is left to show.
    """
    print(format_graph(output))


def to_dot(output):
    """The graph behind `output` as Graphviz dot text (``dot -Tpng``): a box per op with its
    output shape and saved arrays, an ellipse per leaf, arrows in the direction data flows."""
    lines = ["digraph minidl {", "  rankdir=BT;", '  node [fontname="monospace"];']
    for r in graph_nodes(output):
        if r["op"] == "leaf":
            lines.append(f'  n{r["id"]} [shape=ellipse, label="leaf\\n{r["shape"]}"];')
            continue
        saved = "".join(f"\\nsaved {s}" for s in r["saved"] if s is not None)
        lines.append(f'  n{r["id"]} [shape=box, label="{r["op"]}\\n{r["shape"]}{saved}"];')
        lines.extend(f"  n{j} -> n{r['id']};" for j in r["inputs"])
    lines.append("}")
    return "\n".join(lines)
