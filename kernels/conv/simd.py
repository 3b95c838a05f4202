"""A register tile for Numba kernels: P × Q vectors of L = 16 lanes, kept in registers.

    tile_zero(shape, arr)                       -> a tile of zeros, dtype arr.dtype
    tile_fma(acc, a, ai, astride, b, bi, bstride) -> acc + outer(a vectors, b scalars)
    tile_store(acc, out, oi, pstride)           out[oi + p*pstride + q*L + v] = acc[p, q, v]
    tile_add(acc, out, oi, pstride)             out[oi + p*pstride + q*L + v] += acc[p, q, v]

`shape` is a nested tuple ((0,) * Q,) * P: its type carries P and Q, so each tile size is
compiled (and cached) as its own specialisation. `a`, `b`, `out` are C-contiguous arrays read
through their flat index (no bounds check, no negative-index wrap: the caller keeps every
index in range). What `tile_fma` computes, for p < P, q < Q, v < L:

    acc[p, q, v] += a[ai + p*astride + v] * b[bi + q*bstride]      (one fused multiply-add)

that is, P vector loads from `a`, Q scalars of `b` each broadcast to L lanes, and P*Q vector
FMAs. With float32 a vector is one AVX-512 register (zmm); with float64 it is two.

Why intrinsics: a Numba accumulator array lives in memory (its buffer comes from Numba's
allocator, which LLVM cannot see through), so a loop `acc[j, v] += ...` loads and stores
every accumulator on every step. A tile here is an SSA value of LLVM type [P*Q x <L x T>],
which LLVM splits into P*Q vector registers carried around the loop: the accumulators never
touch memory between `tile_zero` and `tile_store`. The direct convolution
(`direct_cpu.py`) is the user. (Numba's on-disk cache watches only the file of the function
it compiled: after changing this file, touch direct_cpu.py so that its kernels recompile.)
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

L = 16   # lanes per vector: 16 float32 = 512 bits


class Tile(types.Type):
    """The Numba type of a P × Q × L register tile of `dtype`."""

    def __init__(self, dtype, P, Q):
        self.dtype, self.P, self.Q = dtype, P, Q
        super().__init__(name=f"Tile({dtype}, {P}x{Q}x{L})")


@register_model(Tile)
class _TileModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        elt = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.ArrayType(ir.VectorType(elt, L), fe_type.P * fe_type.Q))


def _tile_of(shape, arr):
    if not (isinstance(shape, types.UniTuple) and isinstance(shape.dtype, types.UniTuple)):
        raise TypeError("tile shape must be a nested tuple ((0,) * Q,) * P")
    return Tile(arr.dtype, shape.count, shape.dtype.count)


def _ptr(context, builder, ty, val, index):
    """Address of element `index` of array `val` (flat, C order)."""
    data = context.make_array(ty)(context, builder, val).data
    return builder.gep(data, [index], inbounds=True)


def _vptr(builder, ptr, vty):
    return builder.bitcast(ptr, vty.as_pointer())


@intrinsic
def tile_zero(typingctx, shape, arr):
    tile = _tile_of(shape, arr)

    def codegen(context, builder, sig, args):
        return ir.Constant(context.get_value_type(tile), None)
    return tile(shape, arr), codegen


@intrinsic
def tile_fma(typingctx, acc, a, ai, astride, b, bi, bstride):
    if not isinstance(acc, Tile):
        return None
    sig = acc(acc, a, ai, astride, b, bi, bstride)

    def codegen(context, builder, sig, args):
        acc_v, a_v, ai_v, as_v, b_v, bi_v, bs_v = args
        tys = sig.args
        i64 = ir.IntType(64)
        ai_v, as_v, bi_v, bs_v = (context.cast(builder, v, t, types.int64) for v, t in
                                  ((ai_v, tys[2]), (as_v, tys[3]), (bi_v, tys[5]), (bs_v, tys[6])))
        elt = context.get_value_type(acc.dtype)
        vty = ir.VectorType(elt, L)
        name = f"llvm.fma.v{L}f{32 if acc.dtype == types.float32 else 64}"
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty] * 3), name)
        zeros = ir.Constant(ir.VectorType(ir.IntType(32), L), [0] * L)
        avecs = []
        for p in range(acc.P):
            idx = builder.add(ai_v, builder.mul(as_v, ir.Constant(i64, p)))
            ptr = _vptr(builder, _ptr(context, builder, tys[1], a_v, idx), vty)
            avecs.append(builder.load(ptr, align=4))
        out = acc_v
        for q in range(acc.Q):
            idx = builder.add(bi_v, builder.mul(bs_v, ir.Constant(i64, q)))
            s = builder.load(_ptr(context, builder, tys[4], b_v, idx))
            one = builder.insert_element(ir.Constant(vty, None), s, ir.Constant(ir.IntType(32), 0))
            splat = builder.shuffle_vector(one, ir.Constant(vty, None), zeros)
            for p in range(acc.P):
                k = p * acc.Q + q
                cur = builder.extract_value(out, k)
                out = builder.insert_value(out, builder.call(fma, [avecs[p], splat, cur]), k)
        return out
    return sig, codegen


def _store(acc, out, oi, pstride, add):
    """The signature and code of tile_store (add=False) or tile_add (add=True)."""
    if not isinstance(acc, Tile):
        return None
    sig = types.void(acc, out, oi, pstride)

    def codegen(context, builder, sig, args):
        acc_v, out_v, oi_v, ps_v = args
        tys = sig.args
        i64 = ir.IntType(64)
        oi_v = context.cast(builder, oi_v, tys[2], types.int64)
        ps_v = context.cast(builder, ps_v, tys[3], types.int64)
        vty = ir.VectorType(context.get_value_type(acc.dtype), L)
        for p in range(acc.P):
            for q in range(acc.Q):
                idx = builder.add(oi_v, builder.add(builder.mul(ps_v, ir.Constant(i64, p)),
                                                    ir.Constant(i64, q * L)))
                ptr = _vptr(builder, _ptr(context, builder, tys[1], out_v, idx), vty)
                v = builder.extract_value(acc_v, p * acc.Q + q)
                if add:
                    v = builder.fadd(builder.load(ptr, align=4), v)
                builder.store(v, ptr, align=4)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def tile_store(typingctx, acc, out, oi, pstride):
    return _store(acc, out, oi, pstride, add=False)


@intrinsic
def tile_add(typingctx, acc, out, oi, pstride):
    return _store(acc, out, oi, pstride, add=True)
