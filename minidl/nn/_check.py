"""Input checks shared by the layers: errors name the layer and both shapes (or dtypes)."""

_LAYOUTS = {3: "(C, H, W)", 4: "(N, C, H, W)"}


def check_input(layer, x, ndim=None, channels=None, channel_dim=1, what="channels"):
    """`ndim`: an int or a tuple of allowed ranks; `channels`: the size of `channel_dim`."""
    shape = tuple(x.shape)
    if ndim is not None:
        allowed = ndim if isinstance(ndim, tuple) else (ndim,)
        if len(shape) not in allowed:
            expected = " or ".join(f"{n}-D {_LAYOUTS.get(n, '')}".rstrip() for n in allowed)
            raise ValueError(f"{layer}: expected a {expected} input, got shape {shape}")
    if channels is not None and (len(shape) <= abs(channel_dim) - (channel_dim < 0) or
                                 shape[channel_dim] != channels):
        got = shape[channel_dim] if len(shape) > abs(channel_dim) - (channel_dim < 0) else None
        raise ValueError(f"{layer}: input has {got} {what}, expected {channels} "
                         f"(input shape {shape})")
