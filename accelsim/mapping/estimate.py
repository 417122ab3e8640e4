"""Pipelined latency, DRAM bytes and energy of GEMM tilings: pure, vectorised over candidates.

The model (the same terms the engine plays, in closed form):

* compute C: each tile runs ``folds x fold interval`` cycles on the array (cost.systolic); over
  the whole loop nest this separates into (sum of row folds over the tiles of the row-mapped
  dimension) x (col folds of the col-mapped one) x (sum of intervals over the tiles of the
  streamed one), so cutting the streamed dimension pays fill and drain once more per cut;
  the first tile adds the run's constant (first fill, last drain). The SRAM ports bound it from
  below: C >= bytes each buffer moves / its port width (``TileCosts.gemm_sram``'s accesses);
* DMA: operand fetches L (an operand block is fetched again whenever the loop order moves to a
  different block of it: the classic single-tile-reuse model) and write-backs W at the DRAM's
  bytes per cycle, plus the DRAM latency of the first load and of the last write-back;
* overlap: double buffered, the array and the DRAM channel form a two-resource pipeline:
  around the array's work the first step's blocks and the last write-back are exposed, around the
  channel's one step's compute::

      latency = max(L_1 + C + W / output_tiles, L + W + C / steps) + 2 latency_dram

  (L_1: the first step's A and B blocks)

  where a step that fetches a new block also waits the DRAM latency when loads set the pace
  (its bank is freed only by the step two before it), so many small tiles are not free;
  with one bank anywhere nothing overlaps: latency = L + C + W + latency_dram;
* energy: DRAM bytes x pJ/B plus SRAM bytes (accesses and DMA fills) x the buffer's pJ/B (MAC
  energy is the same for every tiling and left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.mapping.space import STREAMED, GemmProblem, fold_units


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of one tiling."""

    cycles: float
    dram_bytes: int
    energy_pj: float
    compute_cycles: float
    port_cycles: float


def _per_tile(extent: int, sizes: np.ndarray, fn) -> tuple[np.ndarray, np.ndarray]:
    """(sum over the tiles of ``fn(tile size)``, tile count) for each candidate size: full tiles
    of ``size`` and one edge tile of the remainder."""
    count_full = extent // sizes
    edge = extent - count_full * sizes
    total = count_full * fn(sizes) + np.where(edge > 0, fn(np.maximum(edge, 1)), 0)
    return total, count_full + (edge > 0)


def _bytes(elems: np.ndarray | int, bits: int) -> np.ndarray:
    return (np.asarray(elems, dtype=np.int64) * bits + 7) // 8


def evaluate(p: GemmProblem, mt: np.ndarray, nt: np.ndarray, kt: np.ndarray,
             order_m_outer: np.ndarray, dram_latency_cycles: int = 0) -> dict[str, np.ndarray]:
    """Cost arrays for candidate tilings (broadcastable integer arrays of tile sizes; the order
    flag selects mnk). Returns cycles, dram_bytes, energy_pj, compute, port, a_fetch, b_fetch,
    tiles_m/n/k."""
    r, c, q = p.rows, p.cols, p.macs_per_pe_per_cycle
    ov = p.overlap_weight_load
    fill = 0 if p.dataflow == "os" else r
    drain = r + c - 2

    def interval(t: np.ndarray) -> np.ndarray:
        return np.maximum(t, r) if ov else fill + t + drain

    def k_eff(x: np.ndarray) -> np.ndarray:
        return -(-x // q)

    streamed = STREAMED[p.dataflow]
    # row / col folds of one tile, and the streamed length, by dataflow (cost.systolic mapping)
    if p.dataflow == "ws":
        fk = lambda x: -(-k_eff(x) // r)  # noqa: E731
        fn_ = lambda x: -(-x // c)  # noqa: E731
        fm = interval
        rows_f, tk = _per_tile(p.k, kt, fk)
        cols_f, tn = _per_tile(p.n, nt, fn_)
        iv, tm = _per_tile(p.m, mt, fm)
        first_t = mt
    elif p.dataflow == "os":
        fm = lambda x: -(-x // r)  # noqa: E731
        fn_ = lambda x: -(-x // c)  # noqa: E731
        fk = lambda x: interval(k_eff(x))  # noqa: E731
        rows_f, tm = _per_tile(p.m, mt, fm)
        cols_f, tn = _per_tile(p.n, nt, fn_)
        iv, tk = _per_tile(p.k, kt, fk)
        first_t = k_eff(kt)
    else:
        fk = lambda x: -(-k_eff(x) // r)  # noqa: E731
        fm = lambda x: -(-x // c)  # noqa: E731
        fn_ = interval
        rows_f, tk = _per_tile(p.k, kt, fk)
        cols_f, tm = _per_tile(p.m, mt, fm)
        iv, tn = _per_tile(p.n, nt, fn_)
        first_t = nt
    del streamed
    # the run's constant (first fill, last drain, SCALE-Sim's -1), as TileCosts.gemm_timer
    const = (fill + first_t + drain - 1 - np.maximum(first_t, r)) if ov else -1
    compute = rows_f * cols_f * iv + const

    a_total = int(_bytes(p.m * p.k, p.a_bits))
    b_total = int(_bytes(p.k * p.n, p.b_bits))
    out_acc = int(_bytes(p.m * p.n, p.acc_bits))
    out_final = int(_bytes(p.m * p.n, p.out_bits))
    # reloads (tiler's single-tile-reuse model): k innermost changes blocks every step
    outer = np.where(order_m_outer, tm, tn)
    inner = np.where(order_m_outer, tn, tm)
    k_cut = tk > 1
    a_outer = order_m_outer
    a_reload = np.where(k_cut, np.where(a_outer, inner, outer),
                        np.where(a_outer, 1, np.where(inner > 1, outer, 1)))
    b_reload = np.where(k_cut, np.where(~a_outer, inner, outer),
                        np.where(~a_outer, 1, np.where(inner > 1, outer, 1)))
    a_fetch = 0 if p.a_resident else a_total * a_reload
    b_fetch = b_total * b_reload
    # SRAM accesses (TileCosts.gemm_sram summed over the tiles)
    n_colf = _per_tile(p.n, nt, lambda x: -(-x // c))[0]
    k_rowf = _per_tile(p.k, kt, lambda x: -(-k_eff(x) // r))[0]
    if p.dataflow == "ws":
        in_r, w_r = a_total * n_colf, b_total * tm
        out_w, out_r = out_acc * k_rowf, out_acc * (k_rowf - 1)
    elif p.dataflow == "is":
        m_colf = _per_tile(p.m, mt, lambda x: -(-x // c))[0]
        in_r, w_r = a_total * tn, b_total * m_colf
        out_w, out_r = out_acc * k_rowf, out_acc * (k_rowf - 1)
    else:
        m_rowf = _per_tile(p.m, mt, lambda x: -(-x // r))[0]
        in_r, w_r = a_total * n_colf, b_total * m_rowf
        out_w, out_r = out_acc * tk, out_acc * (tk - 1)
    pin, pw, pout_r, pout_w = p.ports
    port = np.maximum(np.maximum(in_r / pin, w_r / pw), np.maximum(out_r / pout_r, out_w / pout_w))
    busy = np.maximum(compute, port)

    b = p.batch
    bw = p.dram_bytes_per_cycle
    fetch = a_fetch + b_fetch
    write = out_final
    steps = tm * tn * tk
    load_c = b * (fetch + p.extra_read_bytes) / bw
    write_c = b * write / bw
    # steps that fetch a new block: each waits for a bank the step two before frees, so its
    # DRAM latency is exposed in the steady state whenever loads, not compute, set the pace
    if p.a_resident:
        loading = np.where(order_m_outer, np.where(tn > 1, steps, 1),
                           tn * np.where(tk > 1, tm * tk, 1))
    else:
        loading = np.where(tk > 1, steps, np.where(order_m_outer, np.where(tn > 1, steps, tm),
                                                   np.where(tm > 1, steps, tn)))
    if p.double_buffered:
        # two-resource pipeline (array, DRAM channel): the first load and the last write-back
        # are exposed around the array's work, and one step's compute around the channel's
        # the first step waits for its own blocks: one A block (unless resident) and one B
        first = (_bytes(mt * kt, p.a_bits) * (0 if p.a_resident else 1)
                 + _bytes(kt * nt, p.b_bits)) / bw
        compute_path = first + b * busy + write_c / (b * tm * tn)
        dram_path = load_c + write_c + b * loading * dram_latency_cycles + busy / steps
        cycles = np.maximum(compute_path, dram_path)
    else:
        cycles = load_c + b * busy + write_c
    cycles = cycles + 2 * dram_latency_cycles  # the first load's and last write's latency
    dram = b * (fetch + write + p.extra_read_bytes)
    e_dram, e_in, e_w, e_out = p.pj_per_byte
    energy = e_dram * dram + b * (e_in * (in_r + (0 if p.a_resident else a_fetch))
                                  + e_w * (w_r + b_fetch) + e_out * (out_r + out_w + write))
    return {"cycles": cycles, "dram_bytes": dram, "energy_pj": energy, "compute": b * compute,
            "port": b * port, "a_fetch": a_fetch, "b_fetch": b_fetch, "tiles_m": tm,
            "tiles_n": tn, "tiles_k": tk, "steps": steps}


def estimate(p: GemmProblem, mt: int, nt: int, kt: int, order: str,
             dram_latency_cycles: int = 0) -> Estimate:
    """The estimate of one tiling (scalar form of ``evaluate``)."""
    v = evaluate(p, np.array([mt]), np.array([nt]), np.array([kt]),
                 np.array([order == "mnk"]), dram_latency_cycles)
    return Estimate(float(v["cycles"][0]), int(np.broadcast_to(v["dram_bytes"], (1,))[0]),
                    float(v["energy_pj"][0]), float(v["compute"][0]), float(v["port"][0]))


__all__ = ["Estimate", "evaluate", "estimate", "fold_units"]


def sram_pj_per_byte(points: tuple[tuple[float, float], ...] | list, bank_bytes: int) -> float:
    """Read pJ/byte of a bank by log-log interpolation through (KiB, pJ/B) points (Horowitz
    ISSCC 2014; the same curve analysis.energy reports with, which mapping may not import)."""
    import math

    pts = [tuple(x) for x in points]
    if len(pts) == 1:
        return float(pts[0][1])
    kib = max(bank_bytes, 1) / 1024
    i = 0
    while i < len(pts) - 2 and kib > pts[i + 1][0]:
        i += 1
    (x0, y0), (x1, y1) = pts[i], pts[i + 1]
    if y0 <= 0 or y1 <= 0:
        return max(y0 + (kib - x0) / (x1 - x0) * (y1 - y0), 0.0)
    return y0 * (kib / x0) ** (math.log(y1 / y0) / math.log(x1 / x0))
