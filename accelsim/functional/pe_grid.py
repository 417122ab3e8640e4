"""Register-level, cycle-by-cycle model of an R x C systolic array: the oracle for cost/systolic.py.

Every cycle each PE latches operands from its neighbours (one PE per cycle, with the usual skew),
multiplies and adds into an int32 partial sum. Cycle counts are measured, not computed: the
result is the cycle in which the last output leaves the array, counted like SCALE-Sim's
"Total Cycles" (0-based; cycle 0 is the first cycle of the first fold).

WS: B is stationary (K on rows, N on cols). A stationary tile is shifted top-down into the PEs'
shadow registers, one row per cycle (the bottom row's weights enter first), and swapped into the
active registers by the first activation of its fold as it passes each PE (TPU-style). A[t, k]
enters row k at cycle start + t + k and moves right; partial sums move down and leave the bottom
of column c at start + t + R - 1 + c; the K folds of an output are summed at the array's edge.
IS is the same array with the operand roles swapped: A^T stationary, B^T streams, C^T out.
OS: A moves right, B moves down, each PE accumulates one output over T = K steps and puts it on
its column's output port (one result per column per cycle) in the cycle it completes.

Controller rules, observed on the simulated state:
- no overlap: a fold starts (WS/IS: its tile load starts) the cycle after the previous fold's
  last output left, so fill, stream and drain are serialised (SCALE-Sim);
- overlap, WS/IS: column c loads the next tile into its shadow registers once PE(0, c) has
  swapped in the current one (the load wave trails the swap wave, never overwriting live
  weights); a fold's stream starts once column 0 holds its tile and row 0 has finished the
  previous fold's stream;
- overlap, OS: the next fold starts once row 0 has finished the previous stream and the previous
  fold's wavefront has reached PE(R-1, 0), so every column emits one fold's R results before the
  next fold's first.
Edge folds are zero-padded to the full array and last as long as full ones (SCALE-Sim).
``macs_per_pe_per_cycle = p``: each PE reduces p consecutive K elements per cycle (K_eff =
ceil(K / p) reduction steps). Invariants (operand alignment, complete shadow tile at the swap,
no overwrite of weights not yet swapped in, one result per output port per cycle) are checked
every cycle; a violation raises SimulationError.

numba is imported lazily (first call with use_numba=True); use_numba=False runs the very same
kernels' ``.py_func`` in the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from accelsim.errors import SimulationError

_STATUS = {
    1: "a PE swapped in a stationary tile that was not completely loaded",
    2: "a stationary load overwrote weights not yet swapped in",
    3: "operands or partial sums met out of step",
    4: "two results on one column output port in the same cycle",
    5: "the simulation did not finish (deadlock)",
}


def _ws_kernel(stream, stat, rows, cols, overlap):
    """WS array: stream[T, KD, P] flows right, stat[KD, ND, P] stationary; returns (out, cycles,
    status) with out[T, ND] int32."""
    n_stream, kd, p = stream.shape
    nd = stat.shape[1]
    row_folds = (kd + rows - 1) // rows
    col_folds = (nd + cols - 1) // cols
    folds = row_folds * col_folds
    w_act = np.zeros((rows, cols, p), np.int32)
    w_sh = np.zeros((rows, cols, p), np.int32)
    act_fold = np.full((rows, cols), -1, np.int64)
    sh_fold = np.full((rows, cols), -1, np.int64)
    sh_src = np.full((rows, cols), -1, np.int64)
    a_val = np.zeros((rows, cols, p), np.int32)
    a_fold = np.full((rows, cols), -1, np.int64)
    a_t = np.zeros((rows, cols), np.int64)
    psum = np.zeros((rows, cols), np.int32)
    ld_fold = np.full(cols, -1, np.int64)
    ld_step = np.zeros(cols, np.int64)
    next_ld = np.zeros(cols, np.int64)
    loaded = np.full(cols, -1, np.int64)
    feed_ptr = np.zeros(rows, np.int64)
    fold_start = np.full(folds, -1, np.int64)
    fold_out = np.zeros(folds, np.int64)
    fold_done = np.full(folds, -1, np.int64)
    out = np.zeros((n_stream, nd), np.int32)
    incoming = np.zeros(p, np.int32)
    next_issue = 0
    outputs_left = 0
    outputs_total = folds * n_stream * cols
    last_out = -1
    limit = folds * (3 * rows + cols + n_stream + 2) + 8
    for cyc in range(limit):
        # Controller: start streaming the next fold (state as of the end of the last cycle).
        if next_issue < folds and loaded[0] >= next_issue:
            if next_issue == 0 or feed_ptr[0] >= next_issue:
                fold_start[next_issue] = cyc
                next_issue += 1
        # PEs, bottom-right first so that neighbours still hold last cycle's registers.
        for r in range(rows - 1, -1, -1):
            for c in range(cols - 1, -1, -1):
                if c > 0:
                    g = a_fold[r, c - 1]
                    t = a_t[r, c - 1]
                    for j in range(p):
                        incoming[j] = a_val[r, c - 1, j]
                else:
                    g = -1
                    t = 0
                    f = feed_ptr[r]
                    if f < next_issue and cyc >= fold_start[f] + r:
                        g = f
                        t = cyc - fold_start[f] - r
                        k = (f % row_folds) * rows + r
                        for j in range(p):
                            incoming[j] = stream[t, k, j] if k < kd else 0
                        if t == n_stream - 1:
                            feed_ptr[r] = f + 1
                a_fold[r, c] = g
                a_t[r, c] = t
                for j in range(p):
                    a_val[r, c, j] = incoming[j]
                if g < 0:
                    psum[r, c] = 0
                    continue
                if act_fold[r, c] != g:
                    if sh_fold[r, c] != g or sh_src[r, c] != r:
                        return out, cyc, 1
                    for j in range(p):
                        w_act[r, c, j] = w_sh[r, c, j]
                    act_fold[r, c] = g
                acc = 0
                if r > 0:
                    if a_fold[r - 1, c] != g or a_t[r - 1, c] != t:
                        return out, cyc, 3
                    acc = psum[r - 1, c]
                for j in range(p):
                    acc += w_act[r, c, j] * a_val[r, c, j]
                psum[r, c] = acc
                if r == rows - 1:
                    n = (g // row_folds) * cols + c
                    if n < nd:
                        out[t, n] += psum[r, c]
                    fold_out[g] += 1
                    if fold_out[g] == n_stream * cols:
                        fold_done[g] = cyc
                    outputs_left += 1
                    last_out = cyc
        if outputs_left == outputs_total:
            return out, last_out, 0
        # Weight loaders, after the PEs: a shadow register read by a swap this cycle may be
        # overwritten at this cycle's clock edge.
        for c in range(cols):
            g = next_ld[c]
            if ld_fold[c] < 0 and g < folds:
                if g == 0:
                    start = True
                elif overlap:
                    start = act_fold[0, c] >= g - 1
                else:
                    start = fold_done[g - 1] >= 0 and fold_done[g - 1] < cyc
                if start:
                    ld_fold[c] = g
                    ld_step[c] = 0
                    next_ld[c] = g + 1
            if ld_fold[c] < 0:
                continue
            g = ld_fold[c]
            s = ld_step[c]
            for r in range(min(s, rows - 1), -1, -1):
                if sh_src[r, c] == r and act_fold[r, c] < sh_fold[r, c]:
                    return out, cyc, 2
                if r > 0:
                    for j in range(p):
                        w_sh[r, c, j] = w_sh[r - 1, c, j]
                    sh_fold[r, c] = sh_fold[r - 1, c]
                    sh_src[r, c] = sh_src[r - 1, c]
            src = rows - 1 - s
            k = (g % row_folds) * rows + src
            n = (g // row_folds) * cols + c
            for j in range(p):
                w_sh[0, c, j] = stat[k, n, j] if k < kd and n < nd else 0
            sh_fold[0, c] = g
            sh_src[0, c] = src
            ld_step[c] = s + 1
            if s + 1 == rows:
                loaded[c] = g
                ld_fold[c] = -1
    return out, limit, 5


def _os_kernel(a, b, rows, cols, overlap):
    """OS array: a[M, KD, P] flows right, b[KD, N, P] flows down; returns (out, cycles, status)
    with out[M, N] int32."""
    m_dim, kd, p = a.shape
    n_dim = b.shape[1]
    row_folds = (m_dim + rows - 1) // rows
    col_folds = (n_dim + cols - 1) // cols
    folds = row_folds * col_folds
    a_val = np.zeros((rows, cols, p), np.int32)
    a_fold = np.full((rows, cols), -1, np.int64)
    a_k = np.zeros((rows, cols), np.int64)
    b_val = np.zeros((rows, cols, p), np.int32)
    b_fold = np.full((rows, cols), -1, np.int64)
    b_k = np.zeros((rows, cols), np.int64)
    acc = np.zeros((rows, cols), np.int32)
    acc_fold = np.full((rows, cols), -1, np.int64)
    row_ptr = np.zeros(rows, np.int64)
    col_ptr = np.zeros(cols, np.int64)
    port_cycle = np.full(cols, -1, np.int64)
    fold_start = np.full(folds, -1, np.int64)
    fold_out = np.zeros(folds, np.int64)
    fold_done = np.full(folds, -1, np.int64)
    out = np.zeros((m_dim, n_dim), np.int32)
    a_in = np.zeros(p, np.int32)
    b_in = np.zeros(p, np.int32)
    next_issue = 0
    outputs_left = 0
    outputs_total = folds * rows * cols
    last_out = -1
    limit = folds * (2 * rows + 2 * cols + kd + 2) + 8
    for cyc in range(limit):
        g = next_issue
        if g < folds:
            if g == 0:
                start = True
            elif overlap:
                start = row_ptr[0] >= g and col_ptr[0] >= g and acc_fold[rows - 1, 0] >= g - 1
            else:
                start = fold_done[g - 1] >= 0 and fold_done[g - 1] < cyc
            if start:
                fold_start[g] = cyc
                next_issue = g + 1
        for r in range(rows - 1, -1, -1):
            for c in range(cols - 1, -1, -1):
                if c > 0:
                    ga = a_fold[r, c - 1]
                    ka = a_k[r, c - 1]
                    for j in range(p):
                        a_in[j] = a_val[r, c - 1, j]
                else:
                    ga = -1
                    ka = 0
                    f = row_ptr[r]
                    if f < next_issue and cyc >= fold_start[f] + r:
                        ga = f
                        ka = cyc - fold_start[f] - r
                        m = (f % row_folds) * rows + r
                        for j in range(p):
                            a_in[j] = a[m, ka, j] if m < m_dim else 0
                        if ka == kd - 1:
                            row_ptr[r] = f + 1
                if r > 0:
                    gb = b_fold[r - 1, c]
                    kb = b_k[r - 1, c]
                    for j in range(p):
                        b_in[j] = b_val[r - 1, c, j]
                else:
                    gb = -1
                    kb = 0
                    f = col_ptr[c]
                    if f < next_issue and cyc >= fold_start[f] + c:
                        gb = f
                        kb = cyc - fold_start[f] - c
                        n = (f // row_folds) * cols + c
                        for j in range(p):
                            b_in[j] = b[kb, n, j] if n < n_dim else 0
                        if kb == kd - 1:
                            col_ptr[c] = f + 1
                if ga != gb or (ga >= 0 and ka != kb):
                    return out, cyc, 3
                a_fold[r, c] = ga
                a_k[r, c] = ka
                b_fold[r, c] = gb
                b_k[r, c] = kb
                for j in range(p):
                    a_val[r, c, j] = a_in[j]
                    b_val[r, c, j] = b_in[j]
                if ga < 0:
                    continue
                if ka == 0:
                    total = 0
                    acc_fold[r, c] = ga
                elif acc_fold[r, c] != ga:
                    return out, cyc, 3
                else:
                    total = acc[r, c]
                for j in range(p):
                    total += a_in[j] * b_in[j]
                acc[r, c] = total
                if ka == kd - 1:
                    if port_cycle[c] == cyc:
                        return out, cyc, 4
                    port_cycle[c] = cyc
                    m = (ga % row_folds) * rows + r
                    n = (ga // row_folds) * cols + c
                    if m < m_dim and n < n_dim:
                        out[m, n] = acc[r, c]
                    fold_out[ga] += 1
                    if fold_out[ga] == rows * cols:
                        fold_done[ga] = cyc
                    outputs_left += 1
                    last_out = cyc
        if outputs_left == outputs_total:
            return out, last_out, 0
    return out, limit, 5


_COMPILED: dict[str, Callable] = {}


def _kernel(name: str, use_numba: bool) -> Callable:
    """The named kernel, njit-compiled (cache=True) on first use; its .py_func if not use_numba."""
    if name not in _COMPILED:
        import numba

        plain = {"ws": _ws_kernel, "os": _os_kernel}[name]
        _COMPILED[name] = numba.njit(cache=True)(plain)
    compiled = _COMPILED[name]
    return compiled if use_numba else compiled.py_func


def _pack(x: np.ndarray, axis: int, p: int) -> np.ndarray:
    """Split the K axis of x into (ceil(K/p), p), zero-padding K to a multiple of p."""
    k = x.shape[axis]
    k_eff = -(-k // p)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (0, k_eff * p - k)
    padded = np.pad(x.astype(np.int32), pad)
    if axis == 1:
        return np.ascontiguousarray(padded.reshape(x.shape[0], k_eff, p))
    return np.ascontiguousarray(padded.reshape(k_eff, p, x.shape[1]).transpose(0, 2, 1))


def simulate_pe_grid(a: np.ndarray, b: np.ndarray, rows: int, cols: int, dataflow: str,
                     overlap_weight_load: bool = False, macs_per_pe_per_cycle: int = 1,
                     use_numba: bool = True) -> tuple[np.ndarray, int]:
    """Run C = A @ B through an R x C array cycle by cycle; return (C as int32, measured cycles).

    cycles follows SCALE-Sim's "Total Cycles" counting and equals
    accelsim.cost.systolic.gemm_compute_cycles for the same arguments.
    """
    if dataflow not in ("ws", "os", "is"):
        raise ValueError(f"dataflow must be 'ws', 'os' or 'is', got {dataflow!r}")
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or 0 in a.shape + b.shape:
        raise ValueError(f"need non-empty A[M, K] and B[K, N], got {a.shape} and {b.shape}")
    if not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise ValueError(f"operands must be integer arrays, got {a.dtype} and {b.dtype}")
    for name, value in (("rows", rows), ("cols", cols), ("macs_per_pe_per_cycle",
                                                         macs_per_pe_per_cycle)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    p = int(macs_per_pe_per_cycle)
    a_packed = _pack(a, 1, p)  # [M, K_eff, p]
    b_packed = _pack(b, 0, p)  # [K_eff, N, p]
    overlap = bool(overlap_weight_load)
    if dataflow == "os":
        c, cycles, status = _kernel("os", use_numba)(a_packed, b_packed, int(rows), int(cols),
                                                      overlap)
    elif dataflow == "ws":
        c, cycles, status = _kernel("ws", use_numba)(a_packed, b_packed, int(rows), int(cols),
                                                      overlap)
    else:
        stream = np.ascontiguousarray(b_packed.transpose(1, 0, 2))  # B^T [N, K_eff, p]
        stat = np.ascontiguousarray(a_packed.transpose(1, 0, 2))  # A^T [K_eff, M, p]
        c_t, cycles, status = _kernel("ws", use_numba)(stream, stat, int(rows), int(cols),
                                                        overlap)
        c = np.ascontiguousarray(c_t.T)
    if status:
        raise SimulationError(f"PE grid ({dataflow}, {rows}x{cols}): {_STATUS[status]}",
                              value=int(cycles))
    return c, int(cycles)


#: Largest tile ``tile_cycles_pe`` simulates, in PE-cycles (R x C PEs x estimated cycles): the
#: numba kernels manage a few million PE-cycles per second on long streams (32x32 array, 8000 x
#: 64 x 64 tile: 2**25 PE-cycles in 8 s), so 2**22 bounds one tile to about a second after the
#: one-off compilation; bigger tiles belong to the closed form.
PE_TILE_LIMIT_PE_CYCLES = 2**22


def _estimated_cycles(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                      p: int) -> int:
    """Upper estimate of a tile's cycles without overlap: folds x (2R + C + T)."""
    k_eff = -(-k // p)
    row_ext, col_ext, stream = {"ws": (k_eff, n, m), "os": (m, n, k_eff),
                                "is": (k_eff, m, n)}[dataflow]
    folds = -(-row_ext // rows) * -(-col_ext // cols)
    return folds * (2 * rows + cols + stream)


@lru_cache(maxsize=4096)
def tile_cycles_pe(rows: int, cols: int, dataflow: str, m: int, n: int, k: int,
                   overlap_weight_load: bool, macs_per_pe_per_cycle: int = 1) -> int:
    """Measured cycles (SCALE-Sim counting) of one M x N x K tile on the PE grid, for the
    engine's ``--fidelity pe``; memoised per shape.

    The operands are deterministic pseudo-random int8 values (seeded by the shape), the product
    is checked against numpy, and tiles above PE_TILE_LIMIT_PE_CYCLES are refused with a
    SimulationError (key ``--fidelity``) instead of running for minutes.
    """
    if dataflow not in ("ws", "os", "is"):
        raise ValueError(f"dataflow must be 'ws', 'os' or 'is', got {dataflow!r}")
    work = rows * cols * _estimated_cycles(rows, cols, dataflow, m, n, k, macs_per_pe_per_cycle)
    if work > PE_TILE_LIMIT_PE_CYCLES:
        raise SimulationError(
            f"tile {m}x{n}x{k} (MxNxK) on a {rows}x{cols} array is too large for the PE-grid "
            f"model: about {work} PE-cycles, limit {PE_TILE_LIMIT_PE_CYCLES}; use "
            "--fidelity model, or a smaller workload or array", key="--fidelity", value="pe")
    rng = np.random.default_rng([rows, cols, m, n, k, macs_per_pe_per_cycle])
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int64).astype(np.int8)
    b = rng.integers(-128, 128, size=(k, n), dtype=np.int64).astype(np.int8)
    c, cycles = simulate_pe_grid(a, b, rows, cols, dataflow, overlap_weight_load,
                                 macs_per_pe_per_cycle)
    if not np.array_equal(c, a.astype(np.int32) @ b.astype(np.int32)):
        raise SimulationError(f"PE grid ({dataflow}, {rows}x{cols}) computed a wrong product "
                              f"for a {m}x{n}x{k} tile", key="--fidelity", value="pe")
    return cycles
