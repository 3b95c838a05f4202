"""Assignment `autograd`: rebuild the backward engine of minidl's minidl/autograd.py:
`_count_consumers` and `run_backward`.

Fill in the two bodies, then run
    python -m minidl.course check autograd autograd.py
The checker swaps your `run_backward` into minidl (Tensor.backward and autograd.grad call it)
and runs real graphs through it. Read docs/autograd.md first.

The graph: every Tensor made by an op has `t.grad_fn`, the node (a Function instance) that made
it; a leaf (a parameter, an input) has `t.grad_fn is None`. A node's `node.inputs` is the
tuple of Tensors it was applied to (None for inputs that need no gradient). Edges point from
a node to the nodes that made its inputs; a node may use one input twice (x * x): two edges.

What you may use from minidl (imported below), so that hooks, `autograd.grad` and `.grad`
accumulation keep working exactly as in minidl:

    gradients = _Gradients(capture, taken={id(g) for g in root_grads})
    gradients.deliver(t, g)   hand the gradient g to the Tensor t: summed into its node's
                              pending gradient (or into the leaf's .grad)
    gradients.take(node)      the gradient of node's output, summed over all deliveries so far
                              (None if none came); call it once, when the node runs
    gradients.finish()        at the very end (leaf hooks run on the totals)
    _node_backward(node, g)   one gradient (or None) per entry of node.inputs
    _checked(node, t, g)      g checked against t's shape and cast to t's dtype
    node.release()            free the node's saved arrays (when not retain_graph)
"""
from minidl.autograd import _checked, _Gradients, _node_backward  # noqa: F401


def _count_consumers(roots):
    """Every node reachable from `roots`, with how many graph edges point at it.

    Args:
        roots: a list of nodes (some may be None: skip those).

    Returns:
        dict node -> number of edges from other reachable nodes to it (0 for the roots,
        unless another reachable node also consumes them).

    No recursion: a chain of 10,000 ops must work. With an explicit stack:
        consumers = {root: 0 for each root}; stack = roots; seen = roots
        while stack:
            node = stack.pop()
            for t in node.inputs:
                if t is None or t.grad_fn is None: continue      # no node behind it
                parent = t.grad_fn
                consumers[parent] += 1                            # one more edge (start at 0)
                if parent not seen: mark it seen, push it
    """
    # TODO
    raise NotImplementedError("_count_consumers")


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    """Backpropagate the arrays `root_grads` from the Tensors `roots` (Kahn's algorithm).

    Args:
        roots:       list of Tensors (usually one: the loss).
        root_grads:  list of arrays, one per root, each of its root's shape.
        retain_graph: when False, release every node once its backward has run.
        capture:     pass it to _Gradients unchanged (autograd.grad uses it).

    A node may run only when every consumer of its output has run: its output's gradient is
    then complete (the SUM over all consumers). Running it earlier loses gradient.

        gradients = _Gradients(capture, taken={id(g) for g in root_grads})
        consumers = _count_consumers([r.grad_fn for r in roots])
        for r, g in zip(roots, root_grads): gradients.deliver(r, g)
        ready = [nodes with 0 consumers]
        while ready:
            node = ready.pop()
            grads = _node_backward(node, gradients.take(node))
            for t, g in zip(node.inputs, grads):
                if t is None: continue
                if g is not None: gradients.deliver(t, _checked(node, t, g))
                if t.grad_fn is not None:
                    one consumer of t.grad_fn is done: decrease its count; at 0 it is ready
            if not retain_graph: node.release()
        gradients.finish()
    """
    # TODO
    raise NotImplementedError("run_backward")
