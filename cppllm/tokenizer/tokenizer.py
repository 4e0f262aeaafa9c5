"""`CppTokenizer`: byte-level BPE over the C++ pre-tokenization regex, with fixed special-token ids.

A thin wrapper around an HF `tokenizers.Tokenizer` (Rust BPE; Sennrich et al., arXiv:1508.07909, on bytes
as in GPT-2). Layout of the vocabulary: the special tokens of `special.py` at ids 0..N_SPECIAL-1, then
the 256 byte tokens, then the learned merges. No normalizer: the byte-level alphabet covers every byte,
so `decode(encode(text)) == text` for any text.

Special tokens are only ever produced by code (`special_id(name)`), never by `encode`: text that
merely looks like `<|eos|>` in a source file is encoded as ordinary bytes (`encode_special_tokens`).

Speed: HF `tokenizers` runs the pre-tokenization regex with Oniguruma, which is slow on this long
alternation (about 0.8 MB/s per core here). When `tiktoken` is installed, `encode`/`encode_batch` run the
same regex and the same vocabulary through tiktoken's engine instead (token rank = id, which for a
vocabulary built by BPE training gives the same merges as HF's merge list), about 6x faster. The ids are
the same (tested on arbitrary text and on the corpus); `engine="hf"` forces the HF path.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cppllm.atomic import atomic_path
from cppllm.tokenizer.regex import DEFAULT_SHR, cpp_pattern
from cppllm.tokenizer.special import N_SPECIAL_REQUIRED, SPECIAL_IDS, SPECIAL_TOKENS

TOKENIZER_FILE = "tokenizer.json"


@functools.cache
def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible byte <-> printable-unicode map, inverted (char -> byte)."""
    from tokenizers import pre_tokenizers

    # ByteLevel.alphabet() is the set; the order is GPT-2's `bytes_to_unicode`, rebuilt here.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = {chr(c): b for b, c in zip(bs, cs, strict=True)}
    assert set(table) == set(pre_tokenizers.ByteLevel.alphabet())
    return table


def build_empty(shr: str = DEFAULT_SHR):
    """An untrained `tokenizers.Tokenizer` with our pre-tokenizer and decoder (no normalizer)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(cpp_pattern(shr)), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tk.decoder = decoders.ByteLevel()
    return tk


class CppTokenizer:
    """Encode/decode C++ (or any text) with the project's BPE; special tokens at fixed ids."""

    def __init__(self, tk: Any, *, engine: str = "auto"):
        if engine not in ("auto", "hf", "tiktoken"):
            raise ValueError(f"engine must be auto, hf or tiktoken, not {engine!r}")
        self._tk = tk
        self._engine_asked = engine
        # Text that looks like a special token is encoded as plain bytes; only code inserts specials.
        self._tk.encode_special_tokens = True
        # the leading specials it has; a tokenizer trained before an append to special.py has fewer
        self.n_special = 0
        for name, content in SPECIAL_TOKENS.items():
            got = tk.token_to_id(content)
            if got is None and self.n_special >= N_SPECIAL_REQUIRED:
                break
            if got != SPECIAL_IDS[name]:
                raise ValueError(
                    f"tokenizer has special token {content!r} at id {got}, expected {SPECIAL_IDS[name]}; "
                    "it was not trained by cppllm.tokenizer (or special.py was reordered)"
                )
            self.n_special += 1

    def __getstate__(self) -> dict:  # pickles for DataTrove workers: ship the JSON, rebuild the rest
        return {"json": self._tk.to_str(), "engine": self._engine_asked}

    def __setstate__(self, state: dict) -> None:
        from tokenizers import Tokenizer

        self.__init__(Tokenizer.from_str(state["json"]), engine=state["engine"])

    # -- persistence -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, *, engine: str = "auto") -> CppTokenizer:
        """Load from a `tokenizer.json` file or a directory holding one (`engine`: auto, hf, tiktoken)."""
        from tokenizers import Tokenizer

        p = Path(path)
        if p.is_dir():
            p = p / TOKENIZER_FILE
        if not p.is_file():
            raise FileNotFoundError(f"no tokenizer at {p} (train one: python -m cppllm.tokenizer.train)")
        return cls(Tokenizer.from_file(str(p)), engine=engine)

    @classmethod
    def load_json(cls, text: str, *, engine: str = "auto") -> CppTokenizer:
        """Build from the text of a `tokenizer.json`."""
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_str(text), engine=engine)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write `directory/tokenizer.json` atomically; returns its path."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = d / TOKENIZER_FILE
        with atomic_path(out) as tmp:
            self._tk.save(str(tmp), pretty=True)
        return out

    def to_json(self) -> str:
        return self._tk.to_str()

    def hash(self) -> str:
        """Stable sha256 of the tokenizer's content (canonical JSON), for manifests and caches."""
        canon = json.dumps(json.loads(self._tk.to_str()), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    # -- encode / decode ---------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        fast = self._fast
        if fast is not None:
            return fast.encode_ordinary(text)
        return self._tk.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Encode many texts on all cores (Rust threads)."""
        fast = self._fast
        if fast is not None:
            return fast.encode_ordinary_batch(list(texts), num_threads=os.cpu_count() or 1)
        encs = self._tk.encode_batch_fast(list(texts), add_special_tokens=False)
        return [e.ids for e in encs]

    @property
    def engine(self) -> str:
        """The encoder in use: "tiktoken" (fast path) or "hf"."""
        return "hf" if self._fast is None else "tiktoken"

    def pattern(self) -> str | None:
        """The pre-tokenization regex, if the tokenizer has our layout (Split regex, then ByteLevel)."""
        pre = json.loads(self._tk.to_str()).get("pre_tokenizer") or {}
        parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else []
        if (
            len(parts) == 2
            and parts[0].get("type") == "Split"
            and parts[0].get("behavior") == "Isolated"
            and not parts[0].get("invert")
            and "Regex" in (parts[0].get("pattern") or {})
            and parts[1].get("type") == "ByteLevel"
            and not parts[1].get("use_regex")
            and not parts[1].get("add_prefix_space")
        ):
            return parts[0]["pattern"]["Regex"]
        return None

    @functools.cached_property
    def _fast(self):
        if self._engine_asked == "hf":
            return None
        try:
            import tiktoken
        except ImportError:
            if self._engine_asked == "tiktoken":
                raise ImportError("engine='tiktoken' needs the tiktoken package") from None
            return None
        pattern = self.pattern()
        if pattern is None or json.loads(self._tk.to_str()).get("normalizer") is not None:
            if self._engine_asked == "tiktoken":
                raise ValueError("this tokenizer.json does not have the layout the tiktoken engine needs")
            return None
        ranks = {self.token_to_bytes(i): i for i in range(self.n_special, self.vocab_size)}
        return tiktoken.Encoding(
            name=f"cppllm-{self.hash()[:12]}", pat_str=pattern, mergeable_ranks=ranks, special_tokens={}
        )

    def decode(self, ids: Iterable[int]) -> str:
        return self._tk.decode(list(ids), skip_special_tokens=False)

    def count_tokens(self, texts: Sequence[str]) -> int:
        return sum(len(ids) for ids in self.encode_batch(texts))

    # -- vocabulary --------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._tk.get_vocab_size(with_added_tokens=True)

    def special_id(self, name: str) -> int:
        """Id of a special token by its name in `special.py` (`"EOS"`, `"FIM_PREFIX"`, ...)."""
        try:
            i = SPECIAL_IDS[name.upper()]
        except KeyError:
            raise KeyError(f"unknown special token {name!r}; known: {sorted(SPECIAL_IDS)}") from None
        if i >= self.n_special:
            raise ValueError(
                f"this tokenizer was trained before special token {SPECIAL_TOKENS[name.upper()]!r} was added "
                "(cppllm/tokenizer/special.py); retrain it (python -m cppllm.tokenizer.train) to use it"
            )
        return i

    @property
    def bos_id(self) -> int:
        return SPECIAL_IDS["BOS"]

    @property
    def eos_id(self) -> int:
        return SPECIAL_IDS["EOS"]

    @property
    def pad_id(self) -> int:
        return SPECIAL_IDS["PAD"]

    def id_to_token(self, i: int) -> str | None:
        return self._tk.id_to_token(i)

    def token_bytes(self) -> np.ndarray:
        """UTF-8 byte length of every token id (0 for special tokens): (vocab_size,) int32."""
        return self._token_bytes.copy()

    @functools.cached_property
    def _token_bytes(self) -> np.ndarray:
        dec = _byte_decoder()
        special = set(list(SPECIAL_TOKENS.values())[: self.n_special])
        out = np.zeros(self.vocab_size, dtype=np.int32)
        for i in range(self.vocab_size):
            tok = self._tk.id_to_token(i)
            if tok is None or tok in special:
                continue
            # Each char of a byte-level token stands for exactly one byte.
            if not all(c in dec for c in tok):
                raise ValueError(f"token {i} ({tok!r}) is not in the byte-level alphabet")
            out[i] = len(tok)
        return out

    def token_to_bytes(self, i: int) -> bytes:
        """The raw bytes token `i` stands for (special tokens: their UTF-8 text)."""
        tok = self._tk.id_to_token(i)
        if tok is None:
            raise IndexError(f"token id {i} out of range [0, {self.vocab_size})")
        if i < self.n_special:
            return tok.encode()
        dec = _byte_decoder()
        return bytes(dec[c] for c in tok)

    # -- transformers ------------------------------------------------------------------------------
    def to_transformers(self):
        """A `transformers.PreTrainedTokenizerFast` with the same ids and bos/eos/pad set."""
        from tokenizers import Tokenizer
        from transformers import PreTrainedTokenizerFast

        from cppllm.tokenizer.chat import CHAT_TEMPLATE

        names = list(SPECIAL_TOKENS)[: self.n_special]
        extra = [SPECIAL_TOKENS[n] for n in names if n not in ("BOS", "EOS", "PAD")]
        chat = {"chat_template": CHAT_TEMPLATE} if "END_TURN" in names else {}
        return PreTrainedTokenizerFast(
            tokenizer_object=Tokenizer.from_str(self._tk.to_str()),
            bos_token=SPECIAL_TOKENS["BOS"],
            eos_token=SPECIAL_TOKENS["EOS"],
            pad_token=SPECIAL_TOKENS["PAD"],
            additional_special_tokens=extra,
            split_special_tokens=True,
            clean_up_tokenization_spaces=False,
            model_input_names=["input_ids", "attention_mask"],
            **chat,
        )

    def save_transformers(self, directory: str | os.PathLike) -> Path:
        """`save_pretrained` the transformers tokenizer; `AutoTokenizer.from_pretrained(dir)` loads it."""
        d = Path(directory)
        self.to_transformers().save_pretrained(str(d))
        return d

    def __repr__(self) -> str:
        return f"CppTokenizer(vocab_size={self.vocab_size}, hash={self.hash()[:12]}, engine={self.engine})"


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int,
    *,
    shr: str = DEFAULT_SHR,
    min_frequency: int = 2,
    show_progress: bool = False,
    length: int | None = None,
) -> CppTokenizer:
    """Train a byte-level BPE with the C++ regex on an iterator of texts (streamed by the Rust trainer).

    `vocab_size` counts the special tokens and the 256 byte tokens; the trainer stops early when no
    pair occurs `min_frequency` times (tiny corpora give a smaller vocabulary).
    """
    from tokenizers import pre_tokenizers, trainers

    floor = len(SPECIAL_TOKENS) + 256
    if vocab_size < floor:
        raise ValueError(f"vocab_size {vocab_size} < {floor} (special tokens + 256 bytes)")
    tk = build_empty(shr)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=show_progress,
    )
    tk.train_from_iterator(texts, trainer=trainer, length=length)
    return CppTokenizer(tk)
