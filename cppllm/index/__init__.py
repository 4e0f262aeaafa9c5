"""The code index: C++ chunks searchable by our embedder (FAISS), BM25, or both (`cppllm.index.store`).

from cppllm.index import open_index
for hit in open_index("idx").search("split a string on a delimiter", k=5):
    print(hit.path, hit.start_line, hit.score)
"""

from cppllm.index.store import CodeIndex, Hit, build_index, open_index

__all__ = ["CodeIndex", "Hit", "build_index", "open_index"]
