"""Table rows (parquet, jsonl, Hugging Face datasets) -> documents with the shared metadata.

`RowLayout` names the columns a dataset uses for text, path, repository, version, id, language and
licenses (the first present column of each tuple wins), and `row_document` turns one row into a `Document`
or a drop reason. A row's license column (The Stack's `max_stars_repo_licenses`, v2's `detected_licenses`)
travels as `metadata["licenses"]`, a JSON list, for the license step's "dataset" fallback. C/C++ selection looks at the language column and/or the path's extension (`select`):
    "either"    keep when either says C/C++ (the default; a row with neither is kept)
    "both"      keep only when no present signal says otherwise
    "language" / "extension"   only that signal (missing -> kept)
    "none"      keep everything
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass

from datatrove.data import Document

from cppllm.pipeline.readers.cppfiles import DEFAULT_MAX_FILE_BYTES, check_text, is_cpp_path

CPP_LANGUAGES = frozenset({"c++", "cpp", "cplusplus", "c", "cuda", "cuda c++"})
SELECT_MODES = ("either", "both", "language", "extension", "none")
LICENSE_COLUMNS = (
    "licenses",
    "detected_licenses",
    "max_stars_repo_licenses",
    "max_forks_repo_licenses",
    "max_issues_repo_licenses",
    "license",
)


@dataclass(frozen=True, kw_only=True)
class RowLayout:
    """Column names (first present one wins) of a table of code files."""

    text: tuple[str, ...] = ("text", "content")
    path: tuple[str, ...] = ("path", "rel_path", "max_stars_repo_path", "file_path", "filename")
    repo: tuple[str, ...] = ("repo", "repo_name", "max_stars_repo_name", "repository")
    version: tuple[str, ...] = ("version", "commit_id", "commit", "max_stars_repo_head_hexsha")
    id: tuple[str, ...] = ("id",)
    language: tuple[str, ...] = ("language", "lang")
    licenses: tuple[str, ...] = LICENSE_COLUMNS

    def with_text(self, column: str | None) -> RowLayout:
        if column is None:
            return self
        return RowLayout(
            text=(column,),
            path=self.path,
            repo=self.repo,
            version=self.version,
            id=self.id,
            language=self.language,
            licenses=self.licenses,
        )


def first(row: dict, columns: tuple[str, ...]):
    for c in columns:
        v = row.get(c)
        if v is not None and v != "":
            return v
    return None


def is_cpp_row(row: dict, layout: RowLayout, select: str = "either") -> bool:
    """C/C++ selection by language column and/or path extension (see module docstring)."""
    if select == "none":
        return True
    lang, path = first(row, layout.language), first(row, layout.path)
    lang_ok = None if lang is None else str(lang).strip().lower() in CPP_LANGUAGES
    ext_ok = None if path is None else is_cpp_path(str(path))
    signals = {"language": [lang_ok], "extension": [ext_ok]}.get(select, [lang_ok, ext_ok])
    present = [s for s in signals if s is not None]
    if not present:
        return True
    return any(present) if select == "either" else all(present)


def row_document(
    row: dict,
    layout: RowLayout,
    *,
    source: str,
    fallback_id: str | None = None,
    text: str | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Document | str:
    """The `Document` for `row` (text from `text` when given, else the layout's text column) or a drop
    reason (`empty`, `too_large`, `binary`, `invalid_utf8`). Ids: the row's id column, else
    `source/repo/path@version`, else `source/<fallback_id>`, else `source/<hash of the text>`."""
    if text is None:
        text = first(row, layout.text)
        if text is not None and not isinstance(text, str):
            if isinstance(text, bytes):
                try:
                    text = text.decode("utf-8")
                except UnicodeDecodeError:
                    return "invalid_utf8"
            else:
                return "empty"
    reason = check_text(text, max_bytes)
    if reason:
        return reason
    path = str(first(row, layout.path) or "")
    repo = str(first(row, layout.repo) or source)
    version = str(first(row, layout.version) or "unknown")
    doc_id = first(row, layout.id)
    if doc_id is None and path:
        doc_id = f"{source}/{repo}/{path}@{version}"
    elif doc_id is None:  # text-only rows: the id must not depend on how rows are sharded across tasks
        doc_id = f"{source}/{fallback_id or hashlib.blake2b(text.encode(), digest_size=10).hexdigest()}"
    metadata = {"source": source, "path": path, "repo": repo, "version": version}
    if isinstance(row.get("generator"), str):  # synthetic rows (cppllm.synth): the model that wrote them
        metadata["generator"] = row["generator"]
    licenses = license_ids(first(row, layout.licenses))
    if licenses:
        metadata["licenses"] = json.dumps(licenses)
    return Document(text=text, id=str(doc_id), metadata=metadata)


def license_ids(value) -> list[str]:
    """SPDX ids from a license cell: a list (parquet), a JSON list string, or one id string; else []."""
    if isinstance(value, str) and value.startswith("["):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if not isinstance(value, (list, tuple)):
        return []
    return list(dict.fromkeys(str(v).strip() for v in value if v and str(v).strip()))
