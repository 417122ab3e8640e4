"""Issues ops in dependency order as groups of steps; every fusion decision lives here.

Fusion (each switchable in the arch's ``fusion`` section):
  * epilogue: a GEMM's single-consumer chain of requant / GELU / add-of-a-constant runs in the
    array's output path on the vector unit; only the chain's last tensor is written to DRAM;
  * residual (off by default): a residual add joins that chain too; its other operand streams
    from DRAM beside each output tile, so the GEMM's own output never makes the round trip
    (saves one read and one write of the tensor per add, and the add's serial pass);
  * attention: QK^T -> (epilogue) -> softmax -> SV runs per (head, row block) on chip, SOLE-style:
    the scores never leave the chip (only Q, K, V in and the context out); the row blocks are
    searched by the objective under the bank capacities (engine.attention_blocks);
  * layernorm: a LayerNorm whose consumers are all GEMMs leaves its output in the input buffer
    (when it fits the whole buffer), so those GEMMs read it without DRAM traffic (a mapping
    file may force it off: ``fusion.<op>.keep_on_chip``).
The choices are recorded in ``self.fusion`` (mapping.io writes them).
Unit choice: GEMMs on the array; softmax / layernorm on the SOLE units, or on the FP32 fallback
unit when ``sfu.kind: fp32`` or the op computes in float (its input or its output is floating
point: an imported graph's float LayerNorm may read an int32 accumulator); GELU, add, requant,
pool, eltwise and copy on the vector unit (GELU on the FP32 unit in fallback mode).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import NamedTuple

from accelsim.arch.spec import ArchSpec
from accelsim.cost import sfu as sfu_cost
from accelsim.cost.dram import AccessPattern
from accelsim.engine.attention_blocks import BlockChoice, choose_blocks
from accelsim.engine.batch_plan import UnitChoice, compose, order_name
from accelsim.engine.plan import Group, Load, Stamp, Step, Work
from accelsim.engine.replay import fastest
from accelsim.engine.tile_costs import TileCosts, tile_for
from accelsim.errors import MappingError
from accelsim.mapping.batch import per_image
from accelsim.mapping.placement import place_tensors, tile_access, transposed_tile_access
from accelsim.mapping.tiler import GemmTiling, fixed_tiling, loop_nest, tile_rows
from accelsim.units import ceil_div, tensor_bytes
from accelsim.workload.ops import GEMM_KINDS, Add, Matmul, Op, Softmax, dim_names
from accelsim.workload.trace import Trace

EPILOGUE_KINDS = ("requant", "gelu", "add")


class AttentionSizing(NamedTuple):
    """A fused attention group's fit in the banks (Scheduler._attention_sizing)."""

    rows_per_block: int  # Q rows per block: their scores fit an output bank, Q an input bank
    k_bytes: int  # one head's K
    v_bytes: int  # one head's V
    shared_bank: bool  # K and V fit one weight bank together

class BatchState(NamedTuple):
    """What the scheduler records of one batch plan (Scheduler.adopt)."""

    order: str  # model.batch_order: layer-major, image-major or mixed
    unit_orders: list[UnitChoice]
    mappings: dict[str, GemmTiling]
    fusion: dict[str, dict]
    image_ops: set[str]
    per_image: Trace | None


class Scheduler:
    """Turns (arch, trace) into the list of groups the engine plays, in program order."""

    def __init__(self, arch: ArchSpec, trace: Trace, fidelity: str = "model",
                 objective: str = "latency", batch_order: str = "auto",
                 mapping: dict[str, tuple[int, int, int, str]] | None = None,
                 templates: bool = True) -> None:
        if arch.kind != "accelerator" or arch.array is None or arch.buffers is None:
            raise MappingError(f"{arch.name!r} is a roofline-only reference device; use "
                               "`accelsim roofline` for it", key="kind")
        self.arch = arch
        self.array = arch.array
        self.trace = trace
        self.fidelity, self.objective, self.requested_order = fidelity, objective, batch_order
        self.batch_order = "layer-major"
        # op -> (Mt, Nt, Kt, order[, batch order]) replayed from a file (mapping.io)
        self.fixed: dict[str, tuple] = dict(mapping or {})
        kinds = {op.name: op.kind for op in trace.ops}
        for name, choice in self.fixed.items():
            need = {"keep": "layernorm", "rows": "matmul"}.get(str(choice[0]))
            if need is not None and kinds.get(name, need) != need:
                raise MappingError(f"op {name!r} is a {kinds[name]}: "
                                   f"{'keep_on_chip' if need == 'layernorm' else 'rows_per_block'}"
                                   f" applies to a {need}",
                                   key=f"fusion.{name}")
        self.mappings: dict[str, GemmTiling] = {}  # op -> the tiling its group uses
        self.costs = TileCosts(arch, trace, fidelity, objective)
        self.banks = self.costs.banks
        self.resident: set[str] = set()  # tensors left on chip by a fused producer
        self._residual_of: dict[str, str] = {}  # fused residual add -> its streamed operand
        self.group_of_tensor: dict[str, int] = {}
        self.placement = place_tensors(trace)
        self.unit_orders: list[UnitChoice] = []  # batch order per unit of groups (batch > 1)
        self.image_ops: set[str] = set()  # GEMMs run image-major (mappings: per-image tiling)
        self.per_image: Trace | None = None  # the batch-1 trace those were planned on
        self.retiled: dict[str, GemmTiling] = {}  # whole-weight tilings (_whole_weights)
        #: fusion choices per op (LayerNorm kept on chip, attention row blocks): mapping.io
        self.fusion: dict[str, dict] = {}
        self._blocks: dict[tuple, BlockChoice] = {}
        #: a batch run's plans for engine.batch_check: (name, its groups and state), the
        #: estimate's choice first (``composed`` per unit); and the batch-1 plan they are
        #: held to
        self.batch_candidates: list[tuple[str, Callable[[], tuple[list[Group], BatchState]]]] \
            = []
        self.batch_reference: list[Group] = []
        #: engine.batch_check's choice and why, for the result's model (batch runs)
        self.batch_check: dict | None = None
        #: shape key -> (group planned for it, its tensors in key order, the mapping and fusion
        #: entries its planning recorded); ``templates=False`` plans every group afresh
        self._templates: dict[tuple, tuple[Group, list[str], dict, dict, list[int]]] = {}
        self.templates = templates
        self._tensor_keys: dict[str, tuple] = {}  # tensor -> its part of a shape key
        #: engine.replay's memos, kept per scheduler so that one plan reuses its replays (a
        #: ViT's blocks repeat the same shapes; the first block's addresses decide) and no plan
        #: depends on what another simulation played before it: GEMM shape -> (choice, lone
        #: cycles), and lone-play key -> cycles
        self.replay_choices: dict[tuple, tuple[GemmTiling, int]] = {}
        self.replay_cycles: dict[tuple, int] = {}

    # ------------------------------------------------------------------ units and costs
    def unit_of(self, op: Op) -> str:
        if op.kind in GEMM_KINDS:
            return "array"
        fallback = self.arch.sfu.kind == "fp32" or any(
            self.trace.tensor(t).dtype == "fp" for t in (op.inputs[0], op.outputs[0]))
        if op.kind == "softmax":
            return "fp32" if fallback else "e2softmax"
        if op.kind == "layernorm":
            return "fp32" if fallback else "ailayernorm"
        if op.kind == "gelu" and fallback:
            return "fp32"
        return "vector"

    # ------------------------------------------------------------------ grouping
    def _single_consumer(self, tensor: str) -> Op | None:
        users = self.trace.consumers.get(tensor, ())
        return users[0] if len(users) == 1 else None

    def _epilogue(self, op: Op) -> list[Op]:
        """Single-consumer chain of element-wise ops fusable into ``op``'s output path."""
        chain: list[Op] = []
        if not self.arch.fusion.epilogue:
            return chain
        tensor = op.outputs[0]
        while True:
            if self.trace.tensor(tensor).transposed:
                return chain  # its readers read the stored (transposed) layout, not the tile
            nxt = self._single_consumer(tensor)
            if nxt is None or nxt.kind not in EPILOGUE_KINDS:
                return chain
            residual = self._residual_operand(nxt, tensor) if nxt.kind == "add" else None
            if residual is not None:
                self._residual_of[nxt.name] = residual
            elif nxt.inputs[0] != tensor or (nxt.kind == "add" and not all(
                    self.trace.tensor(t).is_constant for t in nxt.inputs[1:])):
                return chain
            if nxt.kind == "gelu" and self.unit_of(nxt) != "vector":
                return chain
            chain.append(nxt)
            tensor = nxt.outputs[0]

    def _residual_operand(self, add: Op, tensor: str) -> str | None:
        """The streamed operand if ``add`` = ``tensor`` + a full-size produced tensor can run in
        the output path (``fusion.residual``), else None."""
        if not self.arch.fusion.residual or not isinstance(add, Add) or add.prefix_rows:
            return None
        others = [t for t in add.inputs if t != tensor]
        if len(add.inputs) != 2 or len(others) != 1:
            return None
        other = self.trace.tensor(others[0])
        full = add.rows * add.length
        if other.is_constant or other.numel != full or self.trace.tensor(tensor).numel != full:
            return None  # a broadcast operand is not a per-tile residual
        if other.name in self.trace.producers and other.name not in self.group_of_tensor:
            return None  # produced later in program order (e.g. DeiT's second head): not yet
        return other.name

    def _residual_loads(self, chain: list[Op], rows: int, cols: int, row0: int = 0,
                        col0: int = 0) -> tuple[Load, ...]:
        """Residual tiles for a fused output path: streamed into the output buffer beside the
        accumulator tile (no bank of their own), fetched when the output tile opens."""
        loads = []
        for e in chain:
            name = self._residual_of.get(e.name)
            if name is not None and name not in self.resident:
                loads.append(self._load("output", tensor_bytes(rows * cols,
                                                               self.trace.tensor(name).bits),
                                        e.name, name, bank=False, epilogue=True,
                                        pattern=self._slice(name, row0, rows, col0, cols)))
        return tuple(loads)

    def _attention_chain(self, op: Op, epilogue: list[Op]
                         ) -> tuple[list[Op], Op, list[Op], AttentionSizing] | None:
        """QK^T, its epilogue, softmax, SV, SV's epilogue and their sizing if they can fuse
        on chip."""
        if not self.arch.fusion.attention or not isinstance(op, Matmul):
            return None
        if any(e.name in self._residual_of for e in epilogue):
            return None  # the per-head stages have no path for a streamed operand
        tail = epilogue[-1].outputs[0] if epilogue else op.outputs[0]
        softmax = self._single_consumer(tail)
        if not isinstance(softmax, Softmax) or self.trace.tensor(tail).transposed:
            return None
        sv = self._single_consumer(softmax.outputs[0])
        if not isinstance(sv, Matmul) or sv.inputs[0] != softmax.outputs[0]:
            return None
        if sv.batch != op.batch or sv.m != op.m or sv.k != op.n:
            return None
        sizing = self._attention_sizing(op, sv)
        if sizing is None:
            return None  # the unfused matmuls tile K and V instead
        return [op, *epilogue, softmax], sv, self._epilogue(sv), sizing

    def _attention_sizing(self, qk: Matmul, sv: Matmul) -> AttentionSizing | None:
        """How a head's row blocks and K/V fit the banks, or None if they do not: a block's
        scores (one row at least) fit an output bank, its Q rows an input bank (unless Q is on
        chip), and one head's K and V are resident together, a weight bank each or one bank
        holding both."""
        t = self.trace
        acc_bits = max(t.tensor(qk.outputs[0]).bits, self.array.accumulator_bits)
        rows = self.banks["output"].bank_bytes // tensor_bytes(qk.m, acc_bits)
        q = t.tensor(qk.inputs[0])
        if q.name not in self.resident:  # a block's Q rows share an input bank
            rows = min(rows, self.banks["input"].bank_bytes // tensor_bytes(qk.k, q.bits))
        weight = self.banks["weight"]
        k_bytes, v_bytes = (tensor_bytes(qk.m * qk.k, t.tensor(name).bits)
                            for name in (qk.inputs[1], sv.inputs[1]))
        shared = k_bytes + v_bytes <= weight.bank_bytes
        if rows < 1 or not (shared or (weight.banks >= 2
                                       and max(k_bytes, v_bytes) <= weight.bank_bytes)):
            return None
        return AttentionSizing(rows, k_bytes, v_bytes, shared)

    def plan(self) -> list[Group]:
        """The groups to play. A batch-b trace is planned layer-major (as written) and from the
        batch-1 plan (image-major); engine.batch_plan picks the order per unit of groups by
        the objective's estimate, never moving more DRAM bytes than b batch-1 runs
        (``self.batch_order``: layer-major, image-major or mixed; ``self.unit_orders`` per
        unit; ``batch_order`` forces one for every unit). With the order ``auto`` and no
        order replayed from a file, ``self.batch_candidates`` lists that plan and its
        image-major alternatives, and ``self.batch_reference`` the batch-1 plan, for
        engine.batch_check to simulate (the estimate can misrank them)."""
        replay = dict(self.fixed)
        if self.trace.batch > 1:  # a file's per-image tiles are for the image-major plan
            self.fixed = {k: v for k, v in replay.items() if v[4:] != ("image-major",)}
        layer = self._plan_layer_major()
        self.batch_order = "layer-major"
        if self.trace.batch <= 1 or self.requested_order == "layer-major":
            return layer
        one = per_image(self.trace)
        if one is None:
            return layer
        base = BatchState("layer-major", [], dict(self.mappings), dict(self.fusion), set(),
                          None)
        sub = Scheduler(self.arch, one, self.fidelity, self.objective, "layer-major",
                        {k: v for k, v in replay.items() if v[4:] != ("layer-major",)},
                        self.templates)
        forced = {k: v[4] for k, v in replay.items() if v[4:]}
        single = sub._plan_layer_major()
        batch = self.trace.batch

        def composed(force_image: bool) -> tuple[list[Group], list[UnitChoice]] | None:
            return compose(layer, single, self, sub, batch, self.objective,
                           self.arch.dram_bytes_per_cycle, self.banks["weight"].banks,
                           force_image=force_image,
                           replan=lambda first, last: sub._whole_weights(single[first:last + 1]),
                           forced=forced)

        repeated = BatchState("image-major", [], dict(sub.mappings),
                              {**base.fusion, **sub.fusion}, set(sub.mappings), one)
        made = composed(self.requested_order == "image-major")
        if made is None:  # the two plans group the ops differently: whole plans compared
            image = _repeat(single, batch)
            first: tuple[list[Group], BatchState] = (layer, base)
            if self.requested_order == "image-major" or _dram_bytes(image) < _dram_bytes(layer):
                first = (image, repeated)
            elif not forced:
                self.batch_candidates = [("layer-major", lambda: first),
                                         ("image-major", lambda: (image, repeated))]
        else:
            groups, choices = made
            first = (groups, self._batch_state(base, choices, single, sub, one))
            if self.requested_order == "auto" and not forced:
                self.batch_candidates = [("composed", lambda: first)]
                if order_name(choices) != "image-major":
                    def all_image() -> tuple[list[Group], BatchState]:
                        again = composed(True)
                        assert again is not None
                        return again[0], self._batch_state(base, again[1], single, sub, one)
                    self.batch_candidates.append(("image-major", all_image))
                self.batch_candidates.append(
                    ("batch-1 plan repeated", lambda: (_repeat(single, batch), repeated)))
        if self.batch_candidates:
            self.batch_reference = single
        self.adopt(first[1])
        return first[0]

    def _batch_state(self, base: BatchState, choices: list[UnitChoice], single: list[Group],
                     sub: Scheduler, one: Trace) -> BatchState:
        """What a composed batch plan records: its order per unit, and the per-image tilings
        and fusion choices of its image-major units (mapping rows, a mapping file)."""
        mappings, fusion, image_ops = dict(base.mappings), dict(base.fusion), set()
        for c in choices:
            if c.order == "image-major":
                for g in range(c.first, c.last + 1):
                    for op in single[g].ops:
                        if op.name in sub.fusion:
                            fusion[op.name] = sub.fusion[op.name]
                        if op.name in sub.mappings:
                            mappings[op.name] = (sub.retiled if c.retiled
                                                 else sub.mappings)[op.name]
                            image_ops.add(op.name)
        return BatchState(order_name(choices), list(choices), mappings, fusion, image_ops, one)

    def adopt(self, state: BatchState) -> None:
        """Record ``state`` as the batch plan's (engine.batch_check, after its choice)."""
        self.batch_order, self.unit_orders = state.order, list(state.unit_orders)
        self.mappings, self.fusion = dict(state.mappings), dict(state.fusion)
        self.image_ops, self.per_image = set(state.image_ops), state.per_image

    def _whole_weights(self, groups: list[Group]) -> list[Group] | None:
        """``groups`` with each GEMM re-tiled to hold its whole weight in one weight bank
        (K and N uncut, M as large as the input and output banks allow), so an image-major
        unit can keep the weights across images (engine.batch_plan); None if any GEMM's weight
        exceeds a bank or none is re-tiled. Replayed (mapping file) tiles are kept."""
        out: list[Group] = []
        changed = False
        for group in groups:
            op = group.ops[0]
            if op.kind != "gemm" or op.name in self.fixed:
                out.append(group)
                continue
            t = self.trace
            a, b = t.tensor(op.inputs[0]), t.tensor(op.inputs[1])
            m, n, k = op.m, op.n, op.k  # type: ignore[attr-defined]
            acc = max(t.tensor(op.outputs[0]).bits, self.array.accumulator_bits)
            if tensor_bytes(k * n, b.bits) > self.banks["weight"].bank_bytes:
                return None
            rows = self.banks["output"].bank_bytes // tensor_bytes(n, acc)
            if a.name not in self.resident:
                rows = min(rows, self.banks["input"].bank_bytes // tensor_bytes(k, a.bits))
            if rows < 1:
                return None
            mt = ceil_div(m, ceil_div(m, min(rows, m)))
            saved = dict(self.mappings)
            self.fixed[op.name] = (mt, n, k, "nmk")
            try:
                again = self._gemm_group(group.index, op, list(group.ops[1:]))
            except MappingError:
                return None
            finally:
                del self.fixed[op.name]
                self.retiled[op.name] = self.mappings[op.name]
                self.mappings = saved
            again.deps = group.deps
            out.append(again)
            changed = True
        return out if changed else None

    def _plan_layer_major(self) -> list[Group]:
        groups: list[Group] = []
        done: set[str] = set()
        for op in self.trace.ops:
            if op.name in done:
                continue
            if op.kind in GEMM_KINDS:
                epilogue = self._epilogue(op)
                attention = self._attention_chain(op, epilogue)
                if attention is not None:
                    front, sv, sv_epilogue, _ = attention
                    group = self._templated(
                        len(groups), (*front, sv, *sv_epilogue),
                        lambda index, a=attention: self._attention_group(index, *a))
                else:
                    group = self._templated(
                        len(groups), (op, *epilogue),
                        lambda index, e=epilogue, o=op: self._gemm_group(index, o, e))
            else:
                group = self._templated(len(groups), (op,),
                                        lambda index, o=op: self._row_group(index, o))
            for member in group.ops:
                done.add(member.name)
            group.deps = frozenset(
                self.group_of_tensor[t] for member in group.ops for t in member.inputs
                if t in self.group_of_tensor and self.group_of_tensor[t] != group.index)
            for member in group.ops:
                for t in member.outputs:
                    self.group_of_tensor[t] = group.index
            groups.append(group)
        return groups

    # ------------------------------------------------------------------ shape templates
    def _shape_key(self, ops: tuple[Op, ...]) -> tuple[tuple, list[str]]:
        """Everything planning a group of ``ops`` reads except names and DRAM bases: each op's
        class and sizes, its tensors by position, each tensor's record and placement less its
        name and base, whether it is produced or on chip, the fused residuals and replayed
        mappings. Two groups of one key plan to the same steps up to names and a base shift
        (tests/engine/test_templates.py compares bundled and random archs with templates off);
        the tensors in key order beside it."""
        names = list(dict.fromkeys(x for op in ops for x in (*op.inputs, *op.outputs)))
        at = {name: i for i, name in enumerate(names)}
        t, placement = self.trace, self.placement
        op_part = tuple(
            (type(op), _dims_of(type(op))(op),
             tuple(map(at.__getitem__, op.inputs)), tuple(map(at.__getitem__, op.outputs)),
             at.get(self._residual_of.get(op.name, "")), self.fixed.get(op.name))
            for op in ops)
        tensor_part = []
        records = self._tensor_keys
        for name in names:
            record = records.get(name)
            if record is None:  # fixed for the trace: computed once per tensor
                x, p = t.tensor(name), placement[name]
                record = records[name] = (x.shape, x.bits, x.dtype, x.role, x.transposed,
                                          p.rows, p.cols, p.bits, p.pitch_bytes, p.panels,
                                          name in t.producers)
            tensor_part.append((record, name in self.resident))
        # a row op's output stays on chip by its readers (_row_group: LayerNorm fusion)
        out = ops[0].outputs[0] if len(ops) == 1 and ops[0].outputs else ""
        readers = tuple((c.kind, c.inputs[0] == out) for c in t.consumers.get(out, ()))
        return (op_part, tuple(tensor_part), readers), names

    def _templated(self, index: int, ops: tuple[Op, ...], build) -> Group:
        """``build(index)``, or a stamp of the group an earlier op chain of the same shape
        key planned (plan.Stamp): the same steps renamed and shifted, the same mapping and
        fusion records under this group's names."""
        if not self.templates:
            return build(index)
        key, names = self._shape_key(ops)
        known = self._templates.get(key)
        if known is None:
            resident = len(self.resident)
            group = build(index)
            kept = [i for i, name in enumerate(names) if name in self.resident] \
                if len(self.resident) != resident else []
            self._templates[key] = (group, names, {op.name: self.mappings[op.name] for op in ops
                                                   if op.name in self.mappings},
                                    {op.name: self.fusion[op.name] for op in ops
                                     if op.name in self.fusion}, kept)
            return group
        template, tensors, mappings, fusion, kept = known
        for i in kept:  # a LayerNorm's output left on chip (_row_group)
            self.resident.add(names[i])
        op_names = {a.name: b.name for a, b in zip(template.ops, ops, strict=True)}
        placement = self.placement
        moved = {a: (b, placement[b].base_bytes - placement[a].base_bytes)
                 for a, b in zip(tensors, names, strict=True)}
        for a, b in zip(template.ops, ops, strict=True):
            if a.name in mappings:
                self.mappings[b.name] = mappings[a.name]
            if a.name in fusion:
                entry = self.fusion[b.name] = dict(fusion[a.name])
                if "consumers" in entry:  # a LayerNorm's readers, by name
                    entry["consumers"] = [c.name for c in
                                          self.trace.consumers.get(b.outputs[0], ())]
        group = Group(index, tuple(ops), template.stage_units, None,  # type: ignore[arg-type]
                      stamp=Stamp(template, op_names, moved, template.ops[-1].outputs[0]))
        group.sram_read_bytes = {op_names[k]: v for k, v in template.sram_read_bytes.items()}
        group.sram_write_bytes = {op_names[k]: v for k, v in template.sram_write_bytes.items()}
        group.onchip_bytes = {op_names[k]: v for k, v in template.onchip_bytes.items()}
        group.units = {op_names[k]: v for k, v in template.units.items()}
        group.tiling = {op_names[k]: v for k, v in template.tiling.items()}
        return group

    # ------------------------------------------------------------------ GEMM groups
    def _load(self, buffer: str, nbytes: int, op: str, tensor: str, bank: bool = True,
              epilogue: bool = False, pattern: AccessPattern | None = None) -> Load:
        """A DRAM transfer of (part of) a trace tensor; one an op produces waits for it."""
        return Load(buffer, nbytes, op, tensor, bank, tensor in self.trace.producers, epilogue,
                    pattern if pattern is not None else self._slice(tensor, 0, None))

    def _slice(self, tensor: str, row0: int, rows: int | None, col0: int = 0,
               cols: int | None = None) -> AccessPattern:
        """Access pattern of a tile of ``tensor`` (mapping.placement.tile_access); rows None:
        the whole tensor."""
        p = self.placement[tensor]
        return tile_access(p, row0, p.rows - row0 if rows is None else rows, col0, cols)

    def _write_slice(self, tensor: str, row0: int, rows: int, col0: int = 0,
                     cols: int | None = None) -> AccessPattern:
        """Access pattern of an output tile in its producer's coordinates: ``_slice``, or for a
        tensor stored transposed (a GEMM writing column by column) the transposed runs."""
        t = self.trace.tensor(tensor)
        if not t.transposed:
            return self._slice(tensor, row0, rows, col0, cols)
        p = self.placement[tensor]
        width = t.shape[-2]
        return transposed_tile_access(p, width, row0, rows, col0, width - col0 if cols is None
                                      else cols)

    def _input_load(self, tensor: str, nbytes: int, op: str,
                    pattern: AccessPattern | None = None) -> tuple[Load, ...]:
        if tensor in self.resident or nbytes == 0:
            return ()
        return (self._load("input", nbytes, op, tensor, pattern=pattern),)

    def _param_loads(self, op: Op, first: tuple[str, ...]) -> tuple[Load, ...]:
        t = self.trace
        return tuple(self._load("weight", t.tensor(name).size_bytes, op.name, name, bank=False)
                     for name in op.inputs if name not in first and t.tensor(name).is_constant
                     and t.tensor(name).role == "param")

    def _epilogue_work(self, chain: list[Op], rows: int, cols: int) -> tuple[Work, ...]:
        """Output-path ops on the vector unit, reading the tile from the output buffer."""
        works = []
        t = self.trace
        for e in chain:
            cycles = self.costs.row_cycles(e, "vector", rows, cols)
            read = {"output": sum(tensor_bytes(rows * cols, t.tensor(x).bits)
                                  for x in e.inputs if not t.tensor(x).is_constant)}
            works.append(Work("vector", cycles, e.name, rows * cols,
                              *self.costs.port(cycles, read, {})))
        return tuple(works)

    def _gemm_group(self, index: int, op: Op, epilogue: list[Op],
                    tiling: GemmTiling | None = None) -> Group:
        """The group of one GEMM and its fused epilogue: the searched tiling (the fastest of
        the estimate's near-best, replayed lone: engine.replay), the mapping file's, or
        ``tiling`` (a candidate replay plays)."""
        t = self.trace
        a, b = t.tensor(op.inputs[0]), t.tensor(op.inputs[1])
        final = t.tensor((epilogue[-1] if epilogue else op).outputs[0])
        m, n, k = op.m, op.n, op.k  # type: ignore[attr-defined]
        batch = getattr(op, "batch", 1)
        p = self.costs.mac_rate(op)
        acc_bits = t.tensor(op.outputs[0]).bits
        resident = a.name in self.resident
        out_bits = max(acc_bits, self.array.accumulator_bits)
        # a fused residual's tile sits in the output bank beside the accumulators: the tiler
        # sees the share of the bank left to them
        residual_bits = sum(t.tensor(self._residual_of[e.name]).bits for e in epilogue
                            if e.name in self._residual_of)
        out_bank = self.banks["output"].bank_bytes * out_bits // (out_bits + residual_bits)
        pipeline = self.costs.pipeline(final.bits, batch,
                                       tensor_bytes(m * n, residual_bits) if residual_bits else 0)
        shape = (self.array.rows, self.array.cols, self.array.dataflow, m, n, k, a.bits, b.bits,
                 out_bits, self.banks["input"].bank_bytes, self.banks["weight"].bank_bytes,
                 out_bank, p, resident, pipeline)
        if tiling is None and op.name in self.fixed and isinstance(self.fixed[op.name][0], int):
            tiling = fixed_tiling(op.name, self.fixed[op.name], *shape)
        elif tiling is None:
            tiling = tile_for(op.name, *shape)
            if self.arch.mapper.replay:
                tiling = fastest(self, index, op, epilogue, tiling, shape)
        self.mappings[op.name] = tiling
        timer = self.costs.gemm_timer(p)
        steps: list[Step] = []
        sram_r = {"input": 0, "weight": 0, "output": 0}
        sram_w = {"output": 0}
        # a fused epilogue's own constants (a position-embedding or bias add) stream in with
        # the GEMM's parameters: the chain reads them once, before its first tile
        params = self._param_loads(op, op.inputs[:2]) + tuple(
            ld for e in epilogue for ld in self._param_loads(e, ()))
        b_is_weight = b.role == "weight"
        write_op = (epilogue[-1] if epilogue else op).name
        tile_memo: dict[tuple, tuple] = {}
        tile_uses: dict[tuple, int] = {}
        for bi in range(batch):
            for (m0, mt), (n0, nt), (k0, kt), a_new, b_new, a_last, b_last, opens, closes in \
                    loop_nest(tiling, m, n, k):
                loads: list[Load] = []
                if bi == 0 and not steps:
                    loads.extend(params)
                if b_new:
                    loads.append(self._load("weight", tensor_bytes(kt * nt, b.bits), op.name,
                                            b.name, pattern=self._slice(b.name, bi * k + k0, kt,
                                                                        n0, nt)))
                if a_new:
                    loads.extend(self._input_load(a.name, tensor_bytes(mt * kt, a.bits), op.name,
                                                  self._slice(a.name, bi * m + m0, mt, k0, kt)))
                if opens:
                    loads.extend(self._residual_loads(epilogue, mt, nt, bi * m + m0, n0))
                releases = []
                if a_last and not resident:
                    releases.append(("input", 0))
                if b_last:
                    releases.append(("weight", 0))
                # what a tile costs depends on its shape only: priced once per shape
                key = (mt, nt, kt, opens, closes, not steps)
                known = tile_memo.get(key)
                if known is None:
                    cycles, const = timer(mt, nt, kt)
                    if not steps:
                        cycles += const
                    reads, writes = self.costs.gemm_sram(mt, nt, kt, a.bits, b.bits, acc_bits,
                                                         opens, p)
                    known = tile_memo[key] = (
                        (Work("array", cycles, op.name, mt * nt * kt,
                              *self.costs.port(cycles, reads, writes)),),
                        self._epilogue_work(epilogue, mt, nt) if closes else (),
                        tensor_bytes(mt * nt, final.bits) if closes else 0, reads, writes)
                stages, ep_work, write_bytes, reads, writes = known
                tile_uses[key] = tile_uses.get(key, 0) + 1
                steps.append(Step(
                    loads=tuple(loads), stages=stages, releases=tuple(releases),
                    opens_out=opens, closes_out=closes, epilogue=ep_work,
                    write_bytes=write_bytes, write_op=write_op,
                    write_pattern=self._write_slice(final.name, bi * m + m0, mt, n0, nt)
                    if closes else None))
        for key, uses in tile_uses.items():
            _accumulate(sram_r, tile_memo[key][3], uses)
            _accumulate(sram_w, tile_memo[key][4], uses)
        ops = (op, *epilogue)
        group = Group(index, ops, ("array",), steps)
        group.units = {o.name: ("array" if o is op else "vector") for o in ops}
        group.sram_read_bytes[op.name] = sram_r
        group.sram_write_bytes[op.name] = sram_w
        kind = "weights" if b_is_weight else "B"
        group.tiling[op.name] = (f"tile {tiling.mt}x{tiling.nt}x{tiling.kt} (MxNxK), order "
                                 f"{tiling.order}, {tiling.steps * batch} steps, {kind} "
                                 f"fetched {tiling.b_dram_bytes * batch} B")
        return group

    # ------------------------------------------------------------------ fused attention
    def _attention_group(self, index: int, front: list[Op], sv: Op, sv_epilogue: list[Op],
                         sizing: AttentionSizing) -> Group:
        t = self.trace
        qk: Matmul = front[0]  # type: ignore[assignment]
        softmax = front[-1]
        middle = front[1:-1]
        q, kt_ = t.tensor(qk.inputs[0]), t.tensor(qk.inputs[1])
        v = t.tensor(sv.inputs[1])
        final = t.tensor((sv_epilogue[-1] if sv_epilogue else sv).outputs[0])
        tokens, head_dim, heads = qk.m, qk.k, qk.batch
        acc_bits = max(t.tensor(qk.outputs[0]).bits, self.array.accumulator_bits)
        k_bytes, v_bytes, shared_bank = sizing.k_bytes, sizing.v_bytes, sizing.shared_bank
        sm_unit = self.unit_of(softmax)
        p_qk, p_sv = self.costs.mac_rate(qk), self.costs.mac_rate(sv)
        timer_qk, timer_sv = self.costs.gemm_timer(p_qk), self.costs.gemm_timer(p_sv)
        prob_bits = t.tensor(softmax.outputs[0]).bits
        pj = self.costs.pipeline(final.bits, 1).pj_per_byte  # DRAM, input, weight, output

        def stage_cycles(rows: int) -> tuple[int, int, int]:
            array = timer_qk(rows, tokens, head_dim)[0] + timer_sv(rows, head_dim, tokens)[0]
            vector = sum(self.costs.row_cycles(e, "vector", rows, tokens) for e in middle) + \
                sum(self.costs.row_cycles(e, "vector", rows, head_dim) for e in sv_epilogue)
            return array, vector, self.costs.row_cycles(softmax, sm_unit, rows, tokens)

        def sram_pj(rows: int) -> float:
            total = 0.0
            for part in (*self.costs.gemm_sram(rows, tokens, head_dim, q.bits, kt_.bits,
                                               acc_bits, True, p_qk),
                         *self.costs.gemm_sram(rows, head_dim, tokens, prob_bits, v.bits,
                                               acc_bits, True, p_sv)):
                total += sum(n * pj[("input", "weight", "output").index(b) + 1]
                             for b, n in part.items())
            return total

        fixed = self.fixed.get(qk.name)
        key = (tokens, head_dim, heads, sizing.rows_per_block, fixed)
        if key not in self._blocks:
            group_dram = sum(t.tensor(x).size_bytes for x in (q.name, kt_.name, v.name,
                                                                final.name))
            self._blocks[key] = choose_blocks(
                tokens, sizing.rows_per_block, heads, self.objective, stage_cycles, sram_pj,
                group_dram * pj[0], fixed[1] if fixed and fixed[0] == "rows" else None,
                self.arch.dram_latency_cycles)
        choice = self._blocks[key]
        blocks, block_rows = choice.blocks, choice.block_rows
        self.fusion[qk.name] = {"kind": "attention", "row_blocks": blocks,
                                "rows_per_block": block_rows,
                                "max_rows_per_block": min(sizing.rows_per_block, tokens),
                                "est_cycles": round(choice.est_cycles),
                                "est_cycles_fewest_blocks": round(choice.fewest_cycles)}
        sram_r: dict[str, dict[str, int]] = {}
        sram_w: dict[str, dict[str, int]] = {}
        units = ("array", *(["vector"] * len(middle)), sm_unit, "array")
        steps: list[Step] = []
        params = self._param_loads(qk, qk.inputs[:2]) + tuple(
            ld for e in (*middle, *sv_epilogue) for ld in self._param_loads(e, (e.inputs[0],)))
        block_memo: dict[tuple[int, bool], tuple] = {}
        block_uses: dict[tuple[int, bool], int] = {}
        for _h in range(heads):
            for blk in range(blocks):
                r0 = blk * block_rows
                rows = min(block_rows, tokens - r0)
                loads: list[Load] = list(params) if not steps else []
                if blk == 0:
                    loads.append(self._load("weight", k_bytes, qk.name, kt_.name,
                                            pattern=self._head(kt_.name, _h, heads, 0, None,
                                                               tokens, head_dim)))
                    # K and V sharing one bank leave the other free for the next head's pair
                    loads.append(self._load("weight", v_bytes, sv.name, v.name,
                                            bank=not shared_bank,
                                            pattern=self._head(v.name, _h, heads, 0, None,
                                                               tokens, head_dim)))
                loads.extend(self._input_load(q.name, tensor_bytes(rows * head_dim, q.bits),
                                              qk.name, self._head(q.name, _h, heads, r0, rows,
                                                                         tokens, head_dim)))
                loads.extend(self._residual_loads(sv_epilogue, rows, head_dim, r0,
                                                  _h * head_dim))
                key = (rows, not steps)
                known = block_memo.get(key)
                if known is None:
                    known = block_memo[key] = self._attention_block(
                        qk, sv, middle, softmax, sv_epilogue, sm_unit, rows, not steps)
                work, parts = known
                block_uses[key] = block_uses.get(key, 0) + 1
                last = blk == blocks - 1
                releases = [("input", 0)] if q.name not in self.resident else []
                if last:
                    releases += ([("weight", len(units) - 1)] if shared_bank else
                                 [("weight", 0), ("weight", len(units) - 1)])
                steps.append(Step(
                    loads=tuple(loads), stages=work[:-1], releases=tuple(releases),
                    epilogue=work[-1],
                    write_bytes=tensor_bytes(rows * head_dim, final.bits),
                    write_op=(sv_epilogue[-1] if sv_epilogue else sv).name,
                    write_pattern=self._head(final.name, _h, heads, r0, rows, tokens,
                                             head_dim)))
        for key, uses in block_uses.items():
            for name, part_r, part_w in block_memo[key][1]:
                _accumulate(sram_r.setdefault(name, {}), part_r, uses)
                _accumulate(sram_w.setdefault(name, {}), part_w, uses)
        ops = (*front, sv, *sv_epilogue)
        group = Group(index, tuple(ops), units, steps)
        group.units = {o.name: ("array" if o.kind in GEMM_KINDS else
                                sm_unit if o is softmax else "vector") for o in ops}
        group.sram_read_bytes.update(sram_r)
        group.sram_write_bytes.update(sram_w)
        score_bytes = tensor_bytes(heads * tokens * tokens, acc_bits)
        group.onchip_bytes[qk.name] = score_bytes
        group.onchip_bytes[softmax.name] = (
            tensor_bytes(heads * tokens * tokens, t.tensor(softmax.inputs[0]).bits)
            + tensor_bytes(heads * tokens * tokens, getattr(softmax, "intermediate_bits", 8))
            + tensor_bytes(heads * tokens * tokens, prob_bits))
        group.tiling[qk.name] = (f"fused attention: {heads} heads x {blocks} row blocks of "
                                 f"{block_rows} rows (the banks allow {choice.fewest_blocks}); "
                                 "scores stay on chip")
        return group

    def _attention_block(self, qk: Op, sv: Op, middle: list[Op], softmax: Op,
                         sv_epilogue: list[Op], sm_unit: str, rows: int, first: bool
                         ) -> tuple[tuple, tuple]:
        """One (head, row block) step's work per stage (the output-path epilogue last) and
        its SRAM bytes ((op, reads, writes) of QK^T and SV); ``first``: the group's first
        step pays the array's fill and drain."""
        t = self.trace
        q, kt_, v = (t.tensor(name) for name in (qk.inputs[0], qk.inputs[1], sv.inputs[1]))
        tokens, head_dim = qk.m, qk.k  # type: ignore[attr-defined]
        acc_bits = max(t.tensor(qk.outputs[0]).bits, self.array.accumulator_bits)
        prob_bits = t.tensor(softmax.outputs[0]).bits
        p_qk, p_sv = self.costs.mac_rate(qk), self.costs.mac_rate(sv)
        c_qk, const_qk = self.costs.gemm_timer(p_qk)(rows, tokens, head_dim)
        c_sv, const_sv = self.costs.gemm_timer(p_sv)(rows, head_dim, tokens)
        if first:
            c_qk += const_qk
            c_sv += const_sv
        r_qk, w_qk = self.costs.gemm_sram(rows, tokens, head_dim, q.bits, kt_.bits, acc_bits,
                                          True, p_qk)
        r_sv, w_sv = self.costs.gemm_sram(rows, head_dim, tokens, prob_bits, v.bits, acc_bits,
                                          True, p_sv)
        work: list = [Work("array", c_qk, qk.name, rows * tokens * head_dim,
                           *self.costs.port(c_qk, r_qk, w_qk))]
        for e in middle:
            work.append(Work("vector", self.costs.row_cycles(e, "vector", rows, tokens),
                             e.name, rows * tokens))
        work.append(Work(sm_unit, self.costs.row_cycles(softmax, sm_unit, rows, tokens),
                         softmax.name, rows * tokens))
        work.append(Work("array", c_sv, sv.name, rows * head_dim * tokens,
                         *self.costs.port(c_sv, r_sv, w_sv)))
        work.append(self._epilogue_work(sv_epilogue, rows, head_dim))
        return tuple(work), ((qk.name, r_qk, w_qk), (sv.name, r_sv, w_sv))

    def _head(self, tensor: str, head: int, heads: int, row0: int, rows: int | None,
              tokens: int = 0, width: int = 0) -> AccessPattern:
        """Rows of one head of an [images x tokens, heads x head_dim] tensor: its column block
        of ``width`` (head_dim) columns in its image's ``tokens`` rows. A batch's heads run
        image by image (head h is head h % per_image of image h // per_image); rows None: all
        of the image's rows."""
        p = self.placement[tensor]
        per_image = p.cols // width if width and p.cols % width == 0 else heads
        if tokens and heads % per_image == 0 and p.rows == heads // per_image * tokens:
            image, j = divmod(head, per_image)
            return self._slice(tensor, image * tokens + row0,
                               tokens - row0 if rows is None else rows, j * width, width)
        width = p.cols // heads if p.cols % heads == 0 else p.cols
        col0 = head * width if width != p.cols else 0
        return self._slice(tensor, row0, rows, col0, width)

    def _rows(self, tensor: str, row0: int, rows: int) -> AccessPattern:
        """``rows`` whole rows of a row op's tensor in its own 2-D view (the op's rows of
        ``length`` elements may fold several of the tensor's rows)."""
        p = self.placement[tensor]
        start = min(row0, p.rows)
        return self._slice(tensor, start, max(min(rows, p.rows - start), 1))

    # ------------------------------------------------------------------ row ops
    def _row_group(self, index: int, op: Op) -> Group:
        t = self.trace
        unit = self.unit_of(op)
        x = t.tensor(op.inputs[0])
        out = t.tensor(op.outputs[0])
        pool_tokens = 0
        if op.kind == "pool":
            # tokens stream through in row tiles and accumulate; a group's pooled row is
            # written by the tile that completes it (so a pool never needs all tokens on chip)
            pool_tokens = op.tokens  # type: ignore[attr-defined]
            rows, length = op.groups * pool_tokens, op.channels  # type: ignore[attr-defined]
            out_len = op.channels  # type: ignore[attr-defined]
        else:
            rows, length = op.rows, op.length  # type: ignore[attr-defined]
            out_len = length
        prefix = op.prefix_rows if isinstance(op, Add) else 0
        streamed = [name for name in op.inputs[1:] if not t.tensor(name).is_constant]
        in_row = tensor_bytes(length, x.bits) + sum(tensor_bytes(length, t.tensor(s).bits)
                                                   for s in streamed)
        fits = bool(op.kind == "layernorm" and self.arch.fusion.layernorm
                    and all(c.kind == "gemm" and c.inputs[0] == out.name
                            for c in t.consumers.get(out.name, ()))
                    and t.consumers.get(out.name)
                    and out.size_bytes <= self.banks["input"].size_bytes)
        # kept whenever it fits: it saves the write and every consumer's reads of it and frees
        # their tiles of an input bank, at no cost the model knows; a mapping file may refuse
        wanted = self.fixed.get(op.name, ("keep", True))
        # a batch file's keep is per image where the unit ran image-major (the batch-1 plan
        # refuses it if one image's output does not fit); the batch's layer-major plan of
        # the same op keeps it only where all b images fit
        if wanted[0] == "keep" and wanted[1] and not fits and op.name in self.fixed and (
                self.trace.batch == 1 or per_image(self.trace) is None):
            raise MappingError(
                f"op {op.name!r}: its output ({out.size_bytes} bytes) cannot stay on chip: "
                f"it needs a LayerNorm read only by GEMMs and fitting the input buffer "
                f"({self.banks['input'].size_bytes} bytes)",
                key=f"fusion.{op.name}.keep_on_chip")
        keep = fits and bool(wanted[1])
        if op.kind == "layernorm":
            self.fusion[op.name] = {
                "kind": "layernorm", "keep_on_chip": keep, "fits": fits,
                "consumers": [c.name for c in t.consumers.get(out.name, ())],
                "dram_write_bytes_saved": out.size_bytes if keep else 0}
        in_bank = self.banks["input"].bank_bytes
        out_bank = self.banks["output"].bank_bytes
        rows_t = tile_rows(op.name, rows, in_row, tensor_bytes(out_len, out.bits), in_bank,
                           out_bank)
        params = self._param_loads(op, (op.inputs[0], *streamed))
        steps: list[Step] = []
        sram_r: dict[str, int] = {}
        sram_w: dict[str, int] = {}
        for r0 in range(0, rows, rows_t):
            r = min(rows_t, rows - r0)
            loads: list[Load] = list(params) if not steps else []
            x_rows = max(0, min(r0 + r, rows) - max(r0, prefix)) if prefix else r
            loads.extend(self._input_load(x.name, tensor_bytes(x_rows * length, x.bits), op.name,
                                          self._rows(x.name, max(r0 - prefix, 0), x_rows)))
            for s in streamed:
                loads.append(self._load("input", tensor_bytes(r * length, t.tensor(s).bits),
                                        op.name, s, bank=False, pattern=self._rows(s, r0, r)))
            cycles = self.costs.row_cycles(op, unit, r, length)
            # a pool writes the pooled row of each image whose last token is in this tile
            out_rows = (r0 + r) // pool_tokens - r0 // pool_tokens if pool_tokens else r
            reads = {"input": tensor_bytes(x_rows * length, x.bits) + sum(
                tensor_bytes(r * length, t.tensor(name).bits) for name in streamed)}
            writes = {"output": tensor_bytes(out_rows * out_len, out.bits)}
            _accumulate(sram_r, reads)
            _accumulate(sram_w, writes)
            steps.append(Step(
                loads=tuple(loads),
                stages=(Work(unit, cycles, op.name, r * length,
                             *self.costs.port(cycles, reads, writes)),),
                releases=(("input", 0),) if x.name not in self.resident and x_rows else (),
                write_bytes=0 if keep else writes["output"],
                write_op=op.name,
                write_pattern=self._write_slice(out.name, r0, r) if out.transposed else
                self._rows(out.name, (r0 // pool_tokens) if pool_tokens else r0, out_rows)))
        group = Group(index, (op,), (unit,), steps)
        group.units = {op.name: unit}
        group.sram_read_bytes[op.name] = sram_r
        group.sram_write_bytes[op.name] = sram_w
        if keep:
            self.resident.add(out.name)
            group.onchip_bytes[op.name] = out.size_bytes
            group.tiling[op.name] = (f"{len(steps)} tiles of {rows_t} rows; output kept on "
                                     "chip for the next GEMMs")
        else:
            group.tiling[op.name] = f"{len(steps)} tiles of {rows_t} rows"
        if op.kind == "softmax":
            group.onchip_bytes[op.name] = sfu_cost.intermediate_bytes(
                rows_t, length, max(getattr(op, "intermediate_bits", 8), 1))
        return group


def _dram_bytes(groups: list[Group]) -> int:
    """DRAM bytes a plan moves (every load and write-back of every step)."""
    return sum(sum(ld.dram_bytes for ld in step.loads) + step.write_bytes
               for g in groups for step in g.steps)


def _repeat(groups: list[Group], times: int) -> list[Group]:
    """The plan of one image played ``times`` times in turn (image-major); each copy depends
    only on its own image's groups. Ops keep their names, so the engine sums their stats."""
    out: list[Group] = []
    size = len(groups)
    for i in range(times):
        for g in groups:
            out.append(g.moved(g.index + i * size, frozenset(d + i * size for d in g.deps)))
    return out


def _accumulate(total: dict[str, int], part: dict[str, int], times: int = 1) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value * times


@functools.cache
def _dims_of(cls: type[Op]) -> Callable[[Op], tuple]:
    """op -> the tuple of its size and flag fields (workload.ops.dim_names), one getter per op
    class (the shape key reads them for every op of a plan)."""
    names = dim_names(cls)
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda op: (one(op),)
    if not names:
        return lambda op: ()
    return operator.attrgetter(*names)  # type: ignore[return-value]
