"""The suite's optional peers (JAX, tinygrad): the same nets from minidl's weights."""
