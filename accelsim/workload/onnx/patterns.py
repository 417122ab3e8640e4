"""Multi-node patterns that become one accelsim operator: decomposed LayerNorm, and GELU as
the Erf form or the tanh approximation (what torch.onnx.export writes below opset 17/20).

LayerNorm: ReduceMean(x) -> Sub(x, mean) -> Pow(d, 2) | Mul(d, d) -> ReduceMean -> Add(eps) ->
Sqrt -> Div(d, .) [-> Mul(gamma)] [-> Add(beta)].
GELU (Erf): Div(x, sqrt 2) | Mul(x, 1/sqrt 2) -> Erf -> Add(1) -> Mul(x | 0.5x, .) [-> Mul(0.5)].
GELU (tanh): Pow(x, 3) | Mul(x, x, x) -> Mul(c) -> Add(x, .) -> Mul(sqrt(2/pi)) -> Tanh ->
Add(1) -> Mul ... as above. Constants are matched by structure (static operands), not value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accelsim.workload.onnx.graph import Graph, Node


@dataclass(frozen=True)
class Match:
    kind: str  # layernorm | gelu
    x: str  # the activation input
    out: str  # the pattern's output tensor
    params: tuple[str, ...]  # static operands kept as params (gamma, beta)
    nodes: frozenset[int]  # node indices the pattern replaces
    anchor: int  # index of the node the op is emitted at (its last node)


class PatternFinder:
    def __init__(self, graph: Graph, is_static: Callable[[str], bool]) -> None:
        self.g = graph
        self.static = is_static
        self.prod = graph.producers()
        self.cons = graph.consumers()
        self.qdq: set[int] = set()  # Q/DQ nodes looked through by the current match

    def _live(self, tensor: str) -> list[Node]:
        """Consumers that do real work (shape queries are folded away)."""
        return [n for n in self.cons.get(tensor, ()) if n.op_type not in ("Shape", "Size")]

    def _src(self, tensor: str) -> str:
        """``tensor`` with Q and DQ nodes looked through (quantized graphs convert between
        the nodes of a pattern)."""
        for _ in range(4):
            node = self.prod.get(tensor)
            if node is None or node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
                return tensor
            self.qdq.add(node.index)
            tensor = node.inputs[0]
        return tensor

    def _only(self, tensor: str, op_type: str | tuple[str, ...]) -> Node | None:
        types = (op_type,) if isinstance(op_type, str) else op_type
        types = types + tuple(f"QLinear{t}" for t in types if t in ("Add", "Mul"))
        users = self._live(tensor)
        for _ in range(2):  # through a Q, a DQ, or a Q -> DQ pair
            if len(users) == 1 and users[0].op_type in ("QuantizeLinear", "DequantizeLinear"):
                self.qdq.add(users[0].index)
                users = self._live(users[0].outputs[0])
        return users[0] if len(users) == 1 and users[0].op_type in types else None

    @staticmethod
    def operands(node: Node) -> list[str]:
        if node.op_type in ("QLinearAdd", "QLinearMul"):
            return [node.inputs[0], node.inputs[3]]
        return [i for i in node.inputs if i]

    def _other(self, node: Node, tensor: str) -> str | None:
        rest = [i for i in self.operands(node) if self._src(i) != self._src(tensor)]
        return rest[0] if len(rest) == 1 else None

    def find(self) -> list[Match]:
        out: list[Match] = []
        taken: set[int] = set()
        for node in self.g.nodes:
            m = None
            self.qdq = set()
            if node.op_type == "Sub":
                m = self._layernorm(node)
            elif node.op_type in ("Erf", "Tanh"):
                m = self._gelu(node)
            if m is not None:
                m = Match(m.kind, m.x, m.out, m.params, m.nodes | self._interior(m), m.anchor)
            if m is not None and not (m.nodes & taken):
                out.append(m)
                taken |= m.nodes
        return out

    def _interior(self, m: Match) -> frozenset[int]:
        """The looked-through Q/DQ nodes strictly inside the pattern: those reading a pattern
        node's output (other than the pattern's output) or another interior Q/DQ. Those on the
        input x give x its stored type and stay."""
        inner: set[int] = set()
        changed = True
        while changed:
            changed = False
            for i in self.qdq - inner:
                src = self.prod.get(self.g.nodes[i].inputs[0])
                if src is not None and (src.index in m.nodes or src.index in inner) \
                        and self.g.nodes[i].inputs[0] != m.out:
                    inner.add(i)
                    changed = True
        return frozenset(inner)

    # ------------------------------------------------------------------ LayerNorm
    def _layernorm(self, sub: Node) -> Match | None:
        x, mean = sub.inputs[0], sub.inputs[1]
        rm = self.prod.get(mean)
        if rm is None or rm.op_type != "ReduceMean" or rm.inputs[0] != x:
            return None
        d = sub.outputs[0]
        users = self._live(d)
        sq = next((n for n in users if n.op_type == "Pow" or (n.op_type == "Mul" and
                                                              n.inputs[0] == n.inputs[1] == d)),
                  None)
        div = next((n for n in users if n.op_type == "Div" and n.inputs[0] == d), None)
        if sq is None or div is None or len(users) != 2:
            return None
        rm2 = self._only(sq.outputs[0], "ReduceMean")
        add = rm2 and self._only(rm2.outputs[0], "Add")
        sqrt = add and self._only(add.outputs[0], "Sqrt")
        if sqrt is None or div.inputs[1] != sqrt.outputs[0]:
            return None
        nodes = [rm, sub, sq, rm2, add, sqrt, div]
        params: list[str] = []
        tail = div
        for op_type in ("Mul", "Add"):  # optional gamma, then beta
            nxt = self._only(tail.outputs[0], op_type)
            other = nxt and self._other(nxt, tail.outputs[0])
            if nxt is None or other is None or not self.static(other):
                break
            params.append(other)
            nodes.append(nxt)
            tail = nxt
        if len(self._live(x)) < 2:
            return None
        return Match("layernorm", x, tail.outputs[0], tuple(params),
                     frozenset(n.index for n in nodes), tail.index)

    # ------------------------------------------------------------------ GELU
    def _scaled_input(self, node: Node | None) -> str | None:
        """x if ``node`` is Div(x, c) or Mul(x, c) with a static c."""
        if node is None or node.op_type not in ("Div", "Mul"):
            return None
        a, b = self._src(node.inputs[0]), self._src(node.inputs[1])
        if self.static(b) and not self.static(a):
            return a
        if node.op_type == "Mul" and self.static(a) and not self.static(b):
            return b
        return None

    def _tanh_input(self, tanh: Node, nodes: list[Node]) -> str | None:
        scale = self.prod.get(tanh.inputs[0])
        inner = self._scaled_input(scale)
        add = self.prod.get(inner) if inner else None
        if add is None or add.op_type != "Add":
            return None
        for x, cube_scaled in ((add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])):
            mul = self.prod.get(cube_scaled)
            cube_in = self._scaled_input(mul)
            cube = self.prod.get(cube_in) if cube_in else None
            if cube is None:
                continue
            if (cube.op_type == "Pow" and cube.inputs[0] == x) or (
                    cube.op_type == "Mul" and x in cube.inputs):
                extra = []
                if cube.op_type == "Mul" and cube.inputs[0] != cube.inputs[1]:
                    sq = self.prod.get(next(i for i in cube.inputs if i != x))
                    if sq is None or sq.op_type != "Mul" or set(sq.inputs) != {x}:
                        continue
                    extra = [sq]
                nodes += [scale, add, mul, cube, *extra]  # type: ignore[list-item]
                return x
        return None

    def _gelu(self, fn: Node) -> Match | None:
        nodes: list[Node] = [fn]
        if fn.op_type == "Erf":
            pre = self.prod.get(self._src(fn.inputs[0]))
            x = self._scaled_input(pre)
            if x is None:
                return None
            nodes.append(pre)  # type: ignore[arg-type]
        else:
            x = self._tanh_input(fn, nodes)
            if x is None:
                return None
        add = self._only(fn.outputs[0], "Add")
        if add is None or not self.static(self._src(self._other(add, fn.outputs[0]) or "")):
            return None
        nodes.append(add)
        tail, used_x = add, False
        for _ in range(3):  # Mul(x, .), Mul(0.5) in either order; 0.5x may be its own Mul
            nxt = self._only(tail.outputs[0], "Mul")
            other = nxt and self._other(nxt, tail.outputs[0])
            if nxt is None or other is None:
                break
            other = self._src(other)
            if other == x:
                used_x = True
            elif not used_x and self._scaled_input(self.prod.get(other)) == x:
                used_x = True
                nodes.append(self.prod[other])
            elif not self.static(self._src(other)):
                break
            nodes.append(nxt)
            tail = nxt
        if not used_x:
            return None
        return Match("gelu", x, tail.outputs[0], (), frozenset(n.index for n in nodes),
                     tail.index)
