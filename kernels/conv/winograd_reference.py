"""3×3 convolution by Winograd's minimal filtering, in plain NumPy: the teaching version.

Shapes (stride 1, dilation 1, a 3×3 kernel; the same functions and signatures as
`reference.py`, which computes the same thing by im2col: each takes the layer's ConvSpec)
------
    x   (N, C, H, W)              input
    w   (OC, C // groups, 3, 3)   weights
    b   (OC,) or None             bias
    y   (N, OC, OH, OW)           OH = H + 2*ph - 2,  OW = W + 2*pw - 2

    F(m×m, 3×3), tile side a = m + 2:
    tiles   TH = ceil(OH / m) by TW = ceil(OW / m) per image, P = N*TH*TW in all
    U       (a*a, groups, OC/groups, C/groups)   the transformed filters
    V       (a*a, groups, C/groups, P)           the transformed input tiles
    M       (a*a, groups, OC/groups, P)          M[i] = U[i] @ V[i]: a*a matrix products

The trick, in one dimension: F(2, 3)
-----------------------------------
Two outputs of a 3-tap correlation, y0 = d0 g0 + d1 g1 + d2 g2 and y1 = d1 g0 + d2 g1 + d3 g2,
take 6 multiplications written out. Winograd (and Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", 2015, for convnets) do it with 4:

    m1 = (d0 - d2) g0                 m2 = (d1 + d2) (g0 + g1 + g2) / 2
    m4 = (d1 - d3) g2                 m3 = (d2 - d1) (g0 - g1 + g2) / 2
    y0 = m1 + m2 + m3                 y1 = m2 - m3 - m4

(expand: m2 + m3 = d1 g1 + d2 (g0 + g2), so y0 = d0 g0 + d1 g1 + d2 g2; likewise y1.)
The filter's combinations (g0 + g1 + g2)/2 ... are computed once per filter, not per output,
so only the four products count. Where the formulas come from (docs/winograd.md derives them
step by step): correlation is the *transpose* of polynomial multiplication. The product
s(x) = g(x) h(x) of the filter (degree 2) and a 2-tap h (degree 1) has degree 3, so it is fixed
by its values at 4 points. Evaluate g and h at 0, 1, -1 and "infinity" (the leading
coefficient) — matrices G (4×3) and H (4×2) — multiply pointwise, and interpolate with V^-1,
V the 4×4 matrix that evaluates a degree-3 polynomial at those points: s = V^-1 [(G g) ⊙ (H h)].
The correlation y = C^T d is the transpose of that linear map h -> s, so
y = H^T [(G g) ⊙ (V^-T d)]: for these correlation matrices A^T = H^T is the transposed
*evaluation* matrix, and B^T = V^-T the transposed *interpolation* matrix. V^-T has rows
(0, 1/2, 1/2, 0) and (0, -1/2, 1/2, 0); the halves are moved into G's middle rows (scaling a
row of B^T by 2 and the same row of G by 1/2 leaves every product unchanged), because G g is
computed once per filter while B^T d runs on every tile: B^T is then additions only. Lavin &
Gray also negate B^T's last row and A^T's last column (the same cancellation, by -1).
As matrices, with ⊙ the element-wise product:

    y = A^T [ (G g) ⊙ (B^T d) ]

    B^T = [1  0 -1  0]      G = [1    0    0  ]      A^T = [1  1  1  0]
          [0  1  1  0]          [1/2  1/2  1/2]            [0  1 -1 -1]
          [0 -1  1  0]          [1/2 -1/2  1/2]
          [0  1  0 -1]          [0    0    1  ]

In two dimensions the 1-D algorithm is nested in itself: a 4×4 input tile d gives a 2×2 output
tile with 16 multiplications instead of 36 (2.25× fewer):

    Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A

For a layer: the sum over input channels c commutes with A^T ... A, so it is taken before the
output transform, between the transformed tiles. For each of the 16 positions i = (ξ, ν) of
a transformed tile, M[i][k, p] = sum_c U[i][k, c] V[i][c, p] is a matrix product
(OC × C) @ (C × P): the layer becomes 16 GEMMs, each with C and OC as in im2col's one GEMM
but over P = OH*OW/4 tiles, so 16 * OC * C * OH*OW/4 multiply-adds instead of 9 * OC * C * OH*OW.
Neighbouring input tiles overlap by 2 cells (a tile's 2 outputs need 2 + 3 - 1 inputs).

F(4×4, 3×3) (6×6 tiles, 36 products for 16 outputs: 4× fewer than direct) uses the points
0, ±1, ±2, infinity; its matrices have entries up to 8 and 1/24, and its float32 error is
about 20× that of F(2×2) (measured in benchmarks/NOTES.md), which is why F(2×2) is the one
the fast kernels use.

Backward (gy (N, OC, OH, OW)):
    gx: a correlation of gy, padded by 2 - p on each side (a negative pad crops), with the
        filter rotated by 180° and its two channel axes swapped: itself a Winograd forward.
    gw: back through the transforms: gM[i] = A gy_tile A^T, gU[i] = gM[i] @ V[i].T summed
        over the tiles, gw = G^T gU G (each step is the transpose of the forward's step).
    gb: gy summed over n, oh, ow.
"""
import numpy as np

from ..shapes import conv_output_size

# F(2×2, 3×3): Lavin & Gray's matrices (points 0, 1, -1, infinity)
BT2 = np.array([[1, 0, -1, 0],
                [0, 1, 1, 0],
                [0, -1, 1, 0],
                [0, 1, 0, -1]], dtype=np.float64)
G2 = np.array([[1, 0, 0],
               [0.5, 0.5, 0.5],
               [0.5, -0.5, 0.5],
               [0, 0, 1]], dtype=np.float64)
AT2 = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], dtype=np.float64)

# F(4×4, 3×3): points 0, 1, -1, 2, -2, infinity
BT4 = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
G4 = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
AT4 = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)

MATRICES = {2: (BT2, G2, AT2), 4: (BT4, G4, AT4)}
TILE_OUTPUT = 2     # m of the F(m×m, 3×3) this module's conv2d_* use; tests also set 4


def supports(kernel_size, stride, dilation):
    """Winograd F(m×m, 3×3) as written here: a 3×3 kernel, stride 1, dilation 1."""
    return tuple(kernel_size) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)


def _check(spec):
    if not supports(spec.kernel_size, spec.stride, spec.dilation):
        raise ValueError(f"winograd conv2d: needs a 3×3 kernel, stride 1 and dilation 1, got "
                         f"kernel {spec.kernel_size}, stride {spec.stride}, dilation "
                         f"{spec.dilation} (use the im2col kernels)")


def _pad_or_crop(x, top, bottom, left, right):
    """x (N, C, H, W) with `top` rows of zeros added above (or, negative, that many removed)..."""
    H, W = x.shape[2:]
    x = x[:, :, max(0, -top): H - max(0, -bottom), max(0, -left): W - max(0, -right)]
    return np.pad(x, ((0, 0), (0, 0), (max(0, top), max(0, bottom)),
                      (max(0, left), max(0, right))))


def filter_transform(w, groups, G):
    """w (OC, Cg, 3, 3) -> U (a*a, groups, OC/groups, Cg): U[:, g, k, c] = (G w[k, c] G^T)."""
    OC, Cg = w.shape[:2]
    a = G.shape[0]
    u = np.einsum("ij,kcjl,ml->imkc", G, w, G)              # (a, a, OC, Cg)
    return u.reshape(a * a, groups, OC // groups, Cg)


def input_tiles(x, padding, m, TH, TW):
    """x (N, C, H, W) -> d (N, C, TH, TW, a, a): the overlapping input tiles, tile (th, tw)
    starting at row m*th - ph and column m*tw - pw (zeros outside the image)."""
    a = m + 2
    ph, pw = padding
    H, W = x.shape[2:]
    xp = _pad_or_crop(x, ph, m * TH + 2 - H - ph, pw, m * TW + 2 - W - pw)
    d = np.empty(x.shape[:2] + (TH, TW, a, a), dtype=x.dtype)
    for i in range(a):
        for j in range(a):
            d[..., i, j] = xp[:, :, i: i + m * TH: m, j: j + m * TW: m]
    return d


def input_transform(d, groups, BT):
    """d (N, C, TH, TW, a, a) -> V (a*a, groups, Cg, P): V[:, c, p] = B^T d[p] B."""
    N, C, TH, TW, a, _ = d.shape
    v = np.einsum("ij,nctujl,ml->imcntu", BT, d, BT)        # (a, a, C, N, TH, TW)
    return v.reshape(a * a, groups, C // groups, N * TH * TW)


def output_transform(M, AT, N, TH, TW, OH, OW):
    """M (a*a, OC, P) -> y (N, OC, OH, OW): each tile's A^T M A, the m×m tiles put side by side
    and the part beyond OH×OW (the last tiles' overhang) cut off."""
    m, a = AT.shape
    OC = M.shape[1]
    t = M.reshape(a, a, OC, N, TH, TW)
    y = np.einsum("ij,jlkntu,ml->nktium", AT, t, AT)        # (N, OC, TH, m, TW, m)
    return y.reshape(N, OC, TH * m, TW * m)[:, :, :OH, :OW]


def winograd_conv(x, w, b, padding, groups, m=TILE_OUTPUT, out_size=None):
    """y = conv(x, w) + b, stride 1, by F(m×m, 3×3); padding may be negative (a crop)."""
    BT, G, AT = (a.astype(x.dtype) for a in MATRICES[m])     # float32 stays float32
    N, C, H, W = x.shape
    OC = w.shape[0]
    OH, OW = out_size or (conv_output_size(H, 3, 1, padding[0]),
                          conv_output_size(W, 3, 1, padding[1]))
    TH, TW = -(-OH // m), -(-OW // m)
    U = filter_transform(w, groups, G)                                   # (a², g, OCg, Cg)
    V = input_transform(input_tiles(x, padding, m, TH, TW), groups, BT)  # (a², g, Cg, P)
    M = np.matmul(U, V).reshape(len(U), OC, -1)                          # (a², OC, P)
    y = output_transform(M, AT, N, TH, TW, OH, OW)
    if b is not None:
        y = y + b[:, None, None]
    return np.ascontiguousarray(y, dtype=x.dtype)


def flipped_filter(w, groups):
    """w (OC, Cg, 3, 3) -> wf (C, OC/groups, 3, 3), rotated 180° and its channel axes swapped
    within each group: the filter of the input gradient's correlation."""
    OC, Cg = w.shape[:2]
    wg = w.reshape(groups, OC // groups, Cg, 3, 3)[..., ::-1, ::-1]
    return np.ascontiguousarray(wg.transpose(0, 2, 1, 3, 4).reshape(groups * Cg, OC // groups,
                                                                    3, 3))


def gy_transform(gy, groups, AT, TH, TW):
    """gy (N, OC, OH, OW) -> gM (a*a, groups, OCg, P): gM[:, k, p] = A gy_tile[p] A^T, the
    transpose of the output transform (zeros where the tiles overhang OH×OW)."""
    m, a = AT.shape
    N, OC, OH, OW = gy.shape
    g = np.zeros((N, OC, TH * m, TW * m), dtype=gy.dtype)
    g[:, :, :OH, :OW] = gy
    g = g.reshape(N, OC, TH, m, TW, m)
    t = np.einsum("ji,nktjul,lm->imkntu", AT, g, AT)        # (a, a, OC, N, TH, TW)
    return t.reshape(a * a, groups, OC // groups, N * TH * TW)


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, 3, 3)) + b, by F(2×2, 3×3)."""
    _check(spec)
    return winograd_conv(x, w, b, spec.padding, spec.groups)


def conv2d_backward(gy, x, w, spec, needs, m=TILE_OUTPUT):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    _check(spec)
    need_x, need_w, need_b = needs
    padding, groups = spec.padding, spec.groups
    BT, G, AT = (a.astype(x.dtype) for a in MATRICES[m])
    N, C, H, W = x.shape
    OC, Cg = w.shape[:2]
    ph, pw = padding
    gb = gy.sum(axis=(0, 2, 3)) if need_b else None
    gx = gw = None
    if need_x:   # gx[n, c, i, j] = sum_k,kh,kw gy[n, k, i + ph - kh, j + pw - kw] w[k, c, kh, kw]
        gx = winograd_conv(gy, flipped_filter(w, groups), None, (2 - ph, 2 - pw), groups, m,
                           out_size=(H, W))
    if need_w:
        OH, OW = gy.shape[2:]
        TH, TW = -(-OH // m), -(-OW // m)
        V = input_transform(input_tiles(x, padding, m, TH, TW), groups, BT)   # (a², g, Cg, P)
        gM = gy_transform(gy, groups, AT, TH, TW)                             # (a², g, OCg, P)
        gU = np.matmul(gM, V.transpose(0, 1, 3, 2))                           # (a², g, OCg, Cg)
        a = G.shape[0]
        gU = gU.reshape(a, a, OC, Cg)
        gw = np.einsum("ji,jlkc,lm->kcim", G, gU, G).astype(w.dtype)          # G^T gU G
    return gx, gw, gb
