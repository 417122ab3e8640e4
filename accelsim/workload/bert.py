"""BERT encoder generators (Devlin et al., NAACL 2019): BERT-Base (12 layers, hidden 768, 12
heads) and BERT-Large (24, 1024, 16), FFN 4 x hidden, GELU, post-norm blocks.

Encoder only, as the SOLE paper and Kim et al. (arXiv 2302.14017, Table 3) evaluate it: the
three embedding lookups are gathers, not arithmetic, so the trace starts from the word
embeddings of the ``seq_len`` tokens (an input), adds the position + token-type embeddings (one
parameter tensor: a single-segment input's type embedding is a constant row), and LayerNorms;
then each block is ``x = LN(x + Attn(x)); x = LN(x + FFN(x))``. No pooler or task head.

Under any scheme the LayerNorm output of a post-norm block is both the next GEMMs' input and the
residual stream, so it keeps the scheme's residual width: under ``w4a4`` the GEMMs after a
LayerNorm read 8-bit activations (int4 weights), the others 4-bit ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import TraceError
from accelsim.workload.builder import TraceBuilder

#: longest sequence a BERT trace may have (BERT's own position table stops at 512; the survey
#: extrapolates to 4096)
MAX_SEQ_LEN = 16384
DEFAULT_SEQ_LEN = 128


@dataclass(frozen=True)
class BertConfig:
    dim: int
    depth: int
    heads: int
    ffn_ratio: int = 4
    vocab: int = 30522  # WordPiece vocabulary (the embedding table, not simulated)
    max_positions: int = 512


BERT_MODELS: dict[str, BertConfig] = {
    "bert_base": BertConfig(768, 12, 12),
    "bert_large": BertConfig(1024, 24, 16),
}


def check_seq_len(seq_len: object) -> int:
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or not 1 <= seq_len <= MAX_SEQ_LEN:
        raise TraceError("sequence length out of range", key="seq_len", value=seq_len,
                         expected=f"an integer in 1..{MAX_SEQ_LEN}")
    return seq_len


def build_bert(b: TraceBuilder, cfg: BertConfig, seq_len: int, batch: int) -> None:
    """Append a BERT encoder over ``batch`` sequences of ``seq_len`` tokens to ``b``."""
    q = b.scheme("embed.pos_add")
    rows = batch * seq_len
    words = b.tensor("embed.words", (rows, cfg.dim), q.residual_bits, q.dtype, "input")
    pos = b.tensor("embed.pos_type", (seq_len, cfg.dim), q.residual_bits, q.dtype, "param")
    x = b.add("embed.pos_add", "embed", words, pos, rows, cfg.dim)
    x = b.layernorm("embed.norm", "embed", x, rows, cfg.dim, b.scheme("embed.norm").residual_bits)
    for i in range(cfg.depth):
        block = f"block{i}"
        a = b.attention(block, x, seq_len, cfg.dim, cfg.heads, batch)
        x = b.add(f"{block}.add1", block, x, a, rows, cfg.dim)
        x = b.layernorm(f"{block}.ln1", block, x, rows, cfg.dim,
                        b.scheme(f"{block}.ln1").residual_bits)
        m = b.mlp(block, x, rows, cfg.dim, cfg.dim * cfg.ffn_ratio)
        x = b.add(f"{block}.add2", block, x, m, rows, cfg.dim)
        x = b.layernorm(f"{block}.ln2", block, x, rows, cfg.dim,
                        b.scheme(f"{block}.ln2").residual_bits)
