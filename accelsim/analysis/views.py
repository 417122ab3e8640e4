"""Text views of a run shared by the terminal and the HTML report: what the run is (titles) and
the group-by tables, each with a caption defining its columns. Formatting only."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.analysis.breakdown import LatencyBreakdown, latency_breakdown
from accelsim.analysis.records import SimResult
from accelsim.arch.spec import ArchSpec

GROUP_VIEWS = ("block", "unit", "kind")


def describe_arch(arch: ArchSpec) -> str:
    """'32x32 ws, 1 GHz' for an accelerator; 'reference: fp16 330 TOPS, 1008 GB/s' for a
    reference device (peaks by precision, effective DRAM bandwidth)."""
    clock = (f"{arch.clock_hz / 1e9:g} GHz" if arch.clock_hz >= 1e9
             else f"{arch.clock_hz / 1e6:g} MHz")
    if arch.array is not None and arch.kind == "accelerator":
        return f"{arch.array.rows}x{arch.array.cols} {arch.array.dataflow}, {clock}"
    peaks = ", ".join(f"{p} {t:g} TOPS"
                      for p, t in sorted((arch.roofline.peak_tops if arch.roofline else {})
                                         .items()))
    return f"reference: {peaks}, {arch.dram.bandwidth_gbps * arch.dram.efficiency:g} GB/s"


def describe_run(model: str, image_size: int, batch: int, quant: str, arch: ArchSpec,
                 seq_len: int = 0) -> str:
    """'vit_base 224px batch 1, quant sole on sole (32x32 ws, 1 GHz)' ('bert_base seq 128
    batch 1, ...'): what a run is, for titles of tables and figures."""
    size = f" {image_size}px" if image_size else ""  # a GEMM topology has no image size
    size += f" seq {seq_len}" if seq_len else ""
    scheme = f", quant {quant}" if quant else ""  # a hand-written trace may name none
    return f"{model}{size} batch {batch}{scheme} on {arch.name} ({describe_arch(arch)})"


def run_title(result: SimResult) -> str:
    """``describe_run`` of a simulated run."""
    from accelsim.analysis.roofline import result_arch

    m = result.model
    return describe_run(m.get("model") or m.get("name") or "?", m.get("image_size") or 0,
                        m.get("batch") or 1, m.get("quant") or "", result_arch(result),
                        m.get("seq_len") or 0)


# ------------------------------------------------------------------ group-by tables
@dataclass(frozen=True)
class TextTable:
    """A table as text cells, rendered alike in the terminal and in HTML."""

    title: str
    header: tuple[str, ...]
    rows: list[list[str]]
    caption: str
    left: int = 1  # leading left-aligned (text) columns


_IDEAL = ("ideal = MACs / (rows x cols x MACs/PE/cycle) on the array, elements / lanes on "
          "the other units")


def group_table(result: SimResult, by: str, breakdown: LatencyBreakdown | None = None
                ) -> TextTable:
    """The group-by view (``block`` | ``unit`` | ``kind``) of a run, with a caption defining
    every column (accelsim.analysis.breakdown)."""
    b = breakdown or latency_breakdown(result)
    total = b.total_cycles
    title = f"{run_title(result)}: by {by}"
    if by == "block":
        return _block_table(b, title)
    if by == "unit":
        rows = [[u.unit, str(u.layers), f"{u.busy_cycles:,}", f"{u.busy_share:.1%}",
                 f"{u.utilization_busy:.1%}"] for u in b.units]
        rows.append(["DRAM channel", "-", f"{b.dram_busy_cycles:,}",
                     f"{b.dram_busy_cycles / total:.1%}" if total else "-", "-"])
        return TextTable(title, ("unit", "layers", "busy cycles", "busy / latency",
                                 "util while busy"), rows,
                         f"busy / latency: the unit's busy cycles / the total latency "
                         f"({total:,} cycles), as 'unit busy / latency' in the summary; units "
                         f"overlap in time, so the column does not sum to 100%. util while "
                         f"busy: ideal cycles / busy cycles, {_IDEAL} (the array's is the "
                         f"summary's PE utilization 'while the array is busy')")
    if by == "kind":
        rows = [[k.kind, "+".join(k.units), str(k.layers), f"{k.busy_cycles:,}",
                 f"{k.share:.1%}", f"{k.utilization_busy:.1%}"] for k in b.kinds]
        busy = sum(k.busy_cycles for k in b.kinds)
        rows.append(["total", "", str(sum(k.layers for k in b.kinds)), f"{busy:,}", "100.0%",
                     ""])
        return TextTable(title, ("kind", "unit", "layers", "busy cycles", "share of busy",
                                 "util while busy"), rows,
                         "busy cycles: the kind's layers' compute cycles, summed; share of "
                         "busy: of all layers' summed busy cycles (not of latency: units "
                         "overlap in time); util while busy: ideal cycles / busy cycles, "
                         + _IDEAL, left=2)
    raise ValueError(f"group by one of {GROUP_VIEWS}, not {by!r}")


def _block_table(b: LatencyBreakdown, title: str) -> TextTable:
    total = b.total_cycles

    def pct(part: float, whole: float) -> str:
        return f"{part / whole:.1%}" if whole else "-"

    rows = [[x.block, str(x.layers), f"{x.start_cycle:,}", f"{x.latency_cycles:,}",
             pct(x.latency_cycles, total), pct(x.array_busy_cycles, x.latency_cycles),
             pct(x.sfu_busy_cycles, x.latency_cycles), f"{x.macs / 1e6:,.1f}",
             f"{x.pe_utilization:.1%}"] for x in b.blocks]
    rows.append(["total", str(sum(x.layers for x in b.blocks)), "0", f"{total:,}",
                 pct(total, total), pct(sum(x.array_busy_cycles for x in b.blocks), total),
                 pct(sum(x.sfu_busy_cycles for x in b.blocks), total),
                 f"{sum(x.macs for x in b.blocks) / 1e6:,.1f}", f"{b.pe_utilization:.1%}"])
    source = ("placed exactly from the event log" if b.from_event_log else
              "estimated: the run kept no event log, so each layer's busy cycles are spread "
              "evenly over its span")
    return TextTable(title, ("block", "layers", "start cycle", "latency cycles", "% latency",
                             "array busy", "SFU busy", "MMACs", "PE util"), rows,
                     "latency: the block's slice of the end-to-end latency; block i owns the "
                     "cycles from the end of the previous blocks' last layer to the end of its "
                     f"own last layer, so the slices sum to the {total:,} total cycles. array "
                     "busy / SFU busy: % of the slice in which the array / at least one "
                     f"non-array unit computes ({source}). PE util: the block's MACs / (rows x "
                     "cols x MACs/PE/cycle x block latency); the total row is the summary's PE "
                     "utilization")
