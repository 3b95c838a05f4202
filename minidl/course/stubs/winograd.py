"""Assignment `winograd`: rebuild the F(2×2, 3×3) part of minidl's
kernels/conv/winograd_reference.py: first derive the three matrices, then the tiled 2-D layer.

Fill in the matrices and the bodies, then run
    python -m minidl.course check winograd winograd.py
Read docs/winograd.md first.

Part 1, the matrices (one dimension, F(2, 3)). Two outputs of a 3-tap correlation,

    y0 = d0 g0 + d1 g1 + d2 g2,        y1 = d1 g0 + d2 g1 + d3 g2,

with 4 multiplications instead of 6:  y = AT2 @ ((G2 @ g) * (BT2 @ d)),  where
    BT2 (4, 4) transforms the data tile d = (d0, d1, d2, d3),
    G2  (4, 3) transforms the filter g = (g0, g1, g2),
    AT2 (2, 4) turns the 4 products into (y0, y1).
Derive them (the polynomial view: evaluate at the points 0, 1, -1 and infinity; decide where
the factors 1/2 go) and write them as float64 arrays. Any correct triple passes; the checker
tests the identity above, not one particular answer.

Part 2, the layer, for stride 1, dilation 1, a 3×3 kernel, m = 2 outputs per tile side, tiles
of side a = m + 2 = 4 that overlap by 2:

    x (N, C, H, W), w (OC, C // groups, 3, 3), OH = H + 2*ph - 2, OW = W + 2*pw - 2
    TH = ceil(OH / m), TW = ceil(OW / m) tiles per image, P = N * TH * TW in all
    U (a*a, groups, OC/groups, C/groups)   U[:, g, k, c] = (G w[k, c] G^T), flattened
    V (a*a, groups, C/groups, P)           V[:, g, c, p] = (B^T d[p] B), flattened
    M = U @ V                               a*a matrix products: the sum over channels
    y tile p (m×m) = A^T M[:, p] A         (M[:, p] seen as a×a)
"""
import numpy as np

from minidl.kernels.shapes import conv_output_size

# TODO Part 1: replace None by the (4, 4), (4, 3) and (2, 4) float64 arrays
BT2 = None
G2 = None
AT2 = None

MATRICES = {2: (BT2, G2, AT2)}
TILE_OUTPUT = 2


def filter_transform(w, groups, G):
    """w (OC, Cg, 3, 3) -> U (a*a, groups, OC/groups, Cg), U[i*a + j, g, k, c] =
    (G @ w[g*OC/groups + k, c] @ G.T)[i, j].

        for each filter (k, c): u = G @ w[k, c] @ G.T     (a, a)
        then put the a*a axis first and split OC into (groups, OC/groups)
    (np.einsum("ij,kcjl,ml->imkc", G, w, G) does all filters at once.)
    """
    # TODO
    raise NotImplementedError("filter_transform")


def input_tiles(x, padding, m, TH, TW):
    """x (N, C, H, W) -> d (N, C, TH, TW, a, a), a = m + 2: tile (th, tw) is the a×a window of x
    starting at row m*th - ph and column m*tw - pw, zeros where it lies outside the image.

        pad x with zeros: ph rows above, enough below for the last tile (m*TH + 2 - H - ph
        rows; crop instead if that is negative), likewise for the columns
        for i in range(a), j in range(a):
            d[..., i, j] = padded[:, :, i : i + m*TH : m, j : j + m*TW : m]
    """
    # TODO
    raise NotImplementedError("input_tiles")


def input_transform(d, groups, BT):
    """d (N, C, TH, TW, a, a) -> V (a*a, groups, C/groups, N*TH*TW), each tile B^T d B:

        v[i, j, c, n, th, tw] = (BT @ d[n, c, th, tw] @ BT.T)[i, j]
        reshape to (a*a, groups, C/groups, N*TH*TW)   (tiles ordered n, th, tw)
    """
    # TODO
    raise NotImplementedError("input_transform")


def output_transform(M, AT, N, TH, TW, OH, OW):
    """M (a*a, OC, P) -> y (N, OC, OH, OW): each tile's A^T M A, the m×m tiles side by side.

        t = M seen as (a, a, OC, N, TH, TW)
        tile[n, k, th, tw] = AT @ t[:, :, k, n, th, tw] @ AT.T            (m, m)
        y[n, k, th*m : th*m + m, tw*m : tw*m + m] = that tile
        cut y to OH × OW (the last tiles overhang when OH or OW is odd)
    """
    # TODO
    raise NotImplementedError("output_transform")


def winograd_conv(x, w, b, padding, groups, m=TILE_OUTPUT, out_size=None):
    """y (N, OC, OH, OW) = conv(x, w) + b, stride 1, dilation 1, by F(m×m, 3×3); x's dtype.

        BT, G, AT = MATRICES[m], cast to x's dtype
        OH, OW = out_size or (conv_output_size(H, 3, 1, ph), conv_output_size(W, 3, 1, pw))
        TH, TW = ceil(OH / m), ceil(OW / m)
        U = filter_transform(w, groups, G)
        V = input_transform(input_tiles(x, padding, m, TH, TW), groups, BT)
        M = (U @ V) reshaped to (a*a, OC, P)           np.matmul batches over a*a and groups
        y = output_transform(M, AT, N, TH, TW, OH, OW) + b
    """
    # TODO
    raise NotImplementedError("winograd_conv")
