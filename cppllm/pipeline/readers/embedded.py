"""The embedded default corpus as a reader: the installed g++'s libstdc++ headers and torch's C++ headers.

The roots come from `cppllm.pipeline.corpus.embedded_roots()` (found at run time, never a hard-coded
path). `repo` is the root's name plus its top-level directory (`torch-include/ATen`,
`torch-include/c10`, `libstdcxx/bits`, ...) so a train/val split by repo has more than two groups.
`max_docs`/`max_bytes` take a deterministic subset (see `SourceTreeReader`).
"""

from __future__ import annotations

from cppllm.pipeline.readers.sources import SourceTreeReader, Tree


class EmbeddedCorpusReader(SourceTreeReader):
    """Reads the embedded default corpus (no arguments needed)."""

    name = "📚 embedded corpus"

    def trees(self, rank: int, world_size: int) -> list[Tree]:
        from cppllm.pipeline.corpus import embedded_roots

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
                )
            )
        return trees
