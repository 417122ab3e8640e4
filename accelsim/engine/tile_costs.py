"""What one tile costs on an arch: unit cycles (cost.systolic / cost.sfu), SRAM bytes and the
port cycles they need, and the memoised GEMM tiling. The scheduler decides *what* runs together;
this module only prices it (no simpy)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from accelsim.arch.spec import ArchSpec
from accelsim.cost import sfu as sfu_cost
from accelsim.cost.systolic import gemm_timing
from accelsim.errors import MappingError
from accelsim.mapping.estimate import sram_pj_per_byte
from accelsim.mapping.tiler import GemmTiling, PipelineModel, tile_gemm
from accelsim.units import ceil_div, tensor_bytes
from accelsim.workload.ops import Op
from accelsim.workload.trace import Trace

#: vector-unit instructions per element (the hardware's passes, not the roofline op counts):
#: requant is one fused multiply-shift-clip, add one, integer GELU two (I-ViT ShiftGELU-style
#: sigmoid approximation with shifts), pooling one accumulate.
VECTOR_PASSES = {"requant": 1, "add": 1, "gelu": 2, "pool": 1, "softmax": 1, "layernorm": 1}
#: FP32 fallback passes per op kind and how many use the iterative exp/divide units
FP32_PASSES = {
    "softmax": (sfu_cost.FP32_SOFTMAX_PASSES, sfu_cost.FP32_SOFTMAX_SPECIAL_PASSES),
    "layernorm": (sfu_cost.FP32_LAYERNORM_PASSES, sfu_cost.FP32_LAYERNORM_SPECIAL_PASSES),
    "gelu": (sfu_cost.FP32_GELU_PASSES, sfu_cost.FP32_GELU_SPECIAL_PASSES),
}
GemmTimer = Callable[[int, int, int], tuple[int, int]]


def op_precision(trace: Trace, op: Op) -> str:
    """Operand precision of an op: the widest of its two operands for GEMMs (it sets the MAC
    rate), the first input's for other ops."""
    tensors = [trace.tensor(t) for t in op.inputs[: 2 if op.macs else 1]]
    dtype = "fp" if any(t.dtype == "fp" for t in tensors) else "int"
    return f"{dtype}{max(t.bits for t in tensors)}"


def mac_rate(arch: ArchSpec, trace: Trace, op: Op) -> int:
    """MACs per PE per cycle the array reaches on ``op``'s operands."""
    assert arch.array is not None
    return arch.array.mac_rate(op_precision(trace, op))


class TileCosts:
    """Prices tiles on one arch (cycles per unit, SRAM bytes, port stalls)."""

    def __init__(self, arch: ArchSpec, trace: Trace, fidelity: str = "model",
                 objective: str = "latency") -> None:
        assert arch.array is not None and arch.buffers is not None
        self.objective = objective
        self.arch = arch
        self.array = arch.array
        self.trace = trace
        self.fidelity = fidelity
        self.banks = {role: arch.buffers.role(role) for role in ("input", "weight", "output")}
        self._row_memo: dict[tuple[str, str, int, int], int] = {}

    def row_cycles(self, op: Op, unit: str, rows: int, length: int) -> int:
        """Cycles of ``rows`` x ``length`` elements of a non-GEMM op on ``unit`` (cost.sfu);
        they depend on the op's kind only (memoised: every block repeats the shapes)."""
        key = (op.kind, unit, rows, length)
        cycles = self._row_memo.get(key)
        if cycles is None:
            cycles = self._row_memo[key] = self._row_cycles(op, unit, rows, length)
        return cycles

    def _row_cycles(self, op: Op, unit: str, rows: int, length: int) -> int:
        sfu = self.arch.sfu
        if unit == "e2softmax":
            u = sfu.e2softmax
            return sfu_cost.e2softmax_cycles(rows, length, u.lanes, u.pipeline_depth)
        if unit == "ailayernorm":
            u = sfu.ailayernorm
            return sfu_cost.ailayernorm_cycles(rows, length, u.lanes, u.pipeline_depth)
        if unit == "fp32":
            f = sfu.fp32
            passes, special = FP32_PASSES.get(op.kind, (1, 0))
            return sfu_cost.fp32_fallback_cycles(
                rows * length, f.lanes, passes, f.pipeline_depth,
                special_function_passes=special,
                special_function_cycles=f.exp_cycles if op.kind != "layernorm" else f.div_cycles)
        v = sfu.vector
        return sfu_cost.vector_cycles(rows * length, v.lanes, v.pipeline_depth,
                                      VECTOR_PASSES.get(op.kind, 1))

    def port_cycles(self, cycles: int, reads: dict[str, int], writes: dict[str, int]) -> int:
        """Cycles beyond ``cycles`` a step needs because a buffer's read or write port (bytes
        per cycle, from the arch) cannot move its SRAM bytes faster."""
        need = 0
        for role, nbytes in reads.items():
            need = max(need, ceil_div(nbytes, self.banks[role].read_bytes_per_cycle))
        for role, nbytes in writes.items():
            need = max(need, ceil_div(nbytes, self.banks[role].write_bytes_per_cycle))
        return max(need - cycles, 0)

    def port(self, cycles: int, reads: dict[str, int], writes: dict[str, int]
             ) -> tuple[int, str]:
        """``port_cycles`` and the buffer whose port sets them ("" when none holds the unit)."""
        need, role_of = 0, ""
        for role, nbytes in reads.items():
            c = ceil_div(nbytes, self.banks[role].read_bytes_per_cycle)
            if c > need:
                need, role_of = c, role
        for role, nbytes in writes.items():
            c = ceil_div(nbytes, self.banks[role].write_bytes_per_cycle)
            if c > need:
                need, role_of = c, role
        extra = max(need - cycles, 0)
        return extra, role_of if extra else ""

    def mac_rate(self, op: Op) -> int:
        return mac_rate(self.arch, self.trace, op)

    def pipeline(self, out_bits: int, batch: int, extra_read_bytes: int = 0) -> PipelineModel:
        """What the mapping search needs of this arch for one GEMM group: overlap, DRAM rate
        and latency, one-bank buffers, the SRAM ports, energy per byte, the objective."""
        b, e = self.banks, self.arch.energy
        curve = e.sram_read_pj_per_byte_by_kib
        return PipelineModel(
            self.array.overlap_weight_load, self.arch.dram_bytes_per_cycle, out_bits, batch,
            min(x.banks for x in b.values()) > 1,
            (b["input"].read_bytes_per_cycle, b["weight"].read_bytes_per_cycle,
             b["output"].read_bytes_per_cycle, b["output"].write_bytes_per_cycle),
            (e.dram_pj_per_byte, *(sram_pj_per_byte(curve, b[r].bank_bytes)
                                   for r in ("input", "weight", "output"))),
            extra_read_bytes, self.arch.dram_latency_cycles, self.objective)

    def gemm_timer(self, p: int) -> GemmTimer:
        """(m, n, k) of a tile -> (fold-interval cycles x folds, constant of a whole run)."""
        a = self.array
        return _gemm_tile_timer(a.rows, a.cols, a.dataflow, a.overlap_weight_load, p,
                                self.fidelity)

    def gemm_sram(self, mt: int, nt: int, kt: int, a_bits: int, b_bits: int, acc_bits: int,
                   opens: bool, p: int) -> tuple[dict[str, int], dict[str, int]]:
        """SRAM bytes (reads, writes per buffer) of one GEMM tile: the stationary operand is
        read once, the streamed one once per fold along the other array dimension; partial
        sums are written once per row fold and read back to accumulate (approximation; it sets
        the port timing and the SRAM energy)."""
        reads = {"input": 0, "weight": 0, "output": 0}
        writes = {"output": 0}
        r, c, df = self.array.rows, self.array.cols, self.array.dataflow
        a_bytes, b_bytes = tensor_bytes(mt * kt, a_bits), tensor_bytes(kt * nt, b_bits)
        out_bytes = tensor_bytes(mt * nt, acc_bits)
        k_folds = ceil_div(ceil_div(kt, p), r)
        if df == "ws":
            reads["weight"] += b_bytes
            reads["input"] += a_bytes * ceil_div(nt, c)
            row_folds = k_folds
        elif df == "is":
            reads["input"] += a_bytes
            reads["weight"] += b_bytes * ceil_div(mt, c)
            row_folds = k_folds
        else:
            reads["input"] += a_bytes * ceil_div(nt, c)
            reads["weight"] += b_bytes * ceil_div(mt, r)
            row_folds = 1
        writes["output"] += out_bytes * row_folds
        reads["output"] += out_bytes * (row_folds - 1 + (0 if opens else 1))
        return reads, writes


def tile_for(name: str, *shape: object) -> GemmTiling:
    """The tiling of a GEMM shape, memoised across ops of the same shape (every block of a
    ViT repeats them); when none fits, tile_gemm again to raise the error naming the op."""
    tiling = _tile_shape(*shape)
    if tiling is None:
        tile_gemm(name, *shape)  # type: ignore[arg-type]
        raise AssertionError("unreachable: tile_gemm raises when nothing fits")
    return tiling


@lru_cache(maxsize=4096)
def _tile_shape(*shape: object) -> GemmTiling | None:
    try:
        return tile_gemm("", *shape)  # type: ignore[arg-type]
    except MappingError:
        return None


@lru_cache(maxsize=64)
def _gemm_tile_timer(rows: int, cols: int, dataflow: str, overlap: bool, p: int,
                     fidelity: str) -> GemmTimer:
    @lru_cache(maxsize=4096)
    def timer(m: int, n: int, k: int) -> tuple[int, int]:
        """Cycles a tile occupies the array (folds x fold interval) and the per-op constant
        (first fill and last drain, SCALE-Sim's -1) that the op's first tile pays once, so that
        tiles cut at fold boundaries add up to the closed form of the whole GEMM."""
        timing = gemm_timing(rows, cols, dataflow, m, n, k, overlap, p)
        body = timing.folds * timing.fold_interval_cycles
        if fidelity == "pe":
            from accelsim.functional.pe_grid import tile_cycles_pe

            return tile_cycles_pe(rows, cols, dataflow, m, n, k, overlap, p) - \
                (timing.cycles - body), timing.cycles - body
        return body, timing.cycles - body

    return timer
