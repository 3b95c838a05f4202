"""Input checks shared by the layers: errors name the layer and both shapes."""


def check_input(layer, x, ndim=None, channels=None, channel_dim=1, what="channels"):
    shape = tuple(x.shape)
    if ndim is not None and len(shape) != ndim:
        raise ValueError(f"{layer}: expected a {ndim}-D input "
                         f"{'(N, C, H, W)' if ndim == 4 else ''}, got shape {shape}")
    if channels is not None and (len(shape) <= abs(channel_dim) - (channel_dim < 0) or
                                 shape[channel_dim] != channels):
        got = shape[channel_dim] if len(shape) > abs(channel_dim) - (channel_dim < 0) else None
        raise ValueError(f"{layer}: input has {got} {what}, expected {channels} "
                         f"(input shape {shape})")
