"""The embedded default corpus as a reader: the installed g++'s libstdc++ headers and torch's C++ headers.

The roots come from `cppllm.pipeline.readers.corpus.embedded_roots()` (found at run time, never a hard-coded
path). `repo` is the root's name plus its top-level directory (`torch-include/ATen`,
`torch-include/c10`, `libstdcxx/bits`, ...) so a train/val split by repo has more than two groups. Build context: torch's
headers compile with `-I torch/include -I torch/include/torch/csrc/api/include` (as a torch extension
does); libstdc++'s are on the compiler's own search path. The trees are the installed packages, so they
are still there when the eval runs.
`max_docs`/`max_bytes` take a deterministic subset (see `SourceTreeReader`).
"""

from __future__ import annotations

from cppllm.pipeline.readers.buildctx import BuildContext
from cppllm.pipeline.readers.trees import SourceTreeReader, Tree

# torch's C++ API headers include `<torch/...>` from both roots (`torch/extension.h`, `torch/all.h`).
_TORCH_INCLUDE_DIRS = (".", "torch/csrc/api/include")


class EmbeddedCorpusReader(SourceTreeReader):
    """Reads the embedded default corpus (no arguments needed)."""

    name = "📚 embedded corpus"

    def trees(self, rank: int, world_size: int) -> list[Tree]:
        from cppllm.pipeline.readers.corpus import embedded_roots

        trees, seen = [], {}
        for root in embedded_roots():
            k = seen[root.name] = seen.get(root.name, -1) + 1
            # libstdc++ has a target-specific twin root (bits/c++config.h, ...): same library, own id space
            trees.append(
                Tree(
                    root=str(root.path),
                    source=root.name,
                    repo=root.name,
                    version=root.version,
                    id_prefix=root.name if k == 0 else f"{root.name}#{k}",
                    repo_depth=1,
                    context=BuildContext(
                        root=str(root.path),
                        include_dirs=_TORCH_INCLUDE_DIRS if root.name == "torch-include" else (),
                        origin=("embedded",),
                    ),
                )
            )
        return trees
