"""The privacy DataTrove step (`PrivacyFilter`: redact or drop, with an audit trail) and a file scanner.

    python -m cppllm.pipeline.privacy.step PATH... [--redact-to DIR] [--ner-model PATH]

The detectors are `cppllm.pipeline.privacy.pii` (regexes + detect-secrets), names optionally
`cppllm.pipeline.privacy.ner`.
"""

from __future__ import annotations

import json
import os

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter

from cppllm.atomic import write_text
from cppllm.pipeline.privacy.ner import NameDetector
from cppllm.pipeline.privacy.pii import PrivacyConfig, audit_findings, decide, find_pii, redact


class PrivacyFilter(BaseFilter):
    """Redacts (or drops) documents with secrets and PII; counts every kind found.

    Stats: `found_<kind>` per finding, `redacted_docs`, and `dropped_<reason>` with reasons
    `private_key`, `too_many_secrets`, `has_secrets`, `has_pii`. With `audit_dir`, each rank writes
    `privacy_<rank>.jsonl` there: one line per document with findings (id, source, path, action,
    reason, and per finding its kind, detector, line and the sha256 of the value, never the value).
    Keep `audit_dir` outside the training output.
    """

    name = "🔒 privacy"

    def __init__(
        self, config: PrivacyConfig = PrivacyConfig(), *, audit_dir: str | None = None, exclusion_writer=None
    ):
        super().__init__(exclusion_writer=exclusion_writer)
        self.config = config
        self.audit_dir = audit_dir
        self.ner = NameDetector(config.ner_model, device=config.ner_device) if config.ner_model else None
        self._audit: list[dict] = []

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        spans = find_pii(doc.text, self.config, self.ner)
        if not spans:
            return True
        for s in spans:
            self.stat_update(f"found_{s.kind}")
        reason = decide(spans, self.config)
        self._audit.append(
            {
                "id": doc.id,
                "source": doc.metadata.get("source"),
                "path": doc.metadata.get("path"),
                "action": "dropped" if reason else "redacted",
                "reason": reason,
                "findings": audit_findings(doc.text, spans),
            }
        )
        if reason:
            return False, reason
        doc.text = redact(doc.text, spans)
        self.stat_update("redacted_docs")
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._audit = []
        yield from super().run(data, rank, world_size)
        if self.audit_dir is not None:
            write_audit(os.path.join(self.audit_dir, f"privacy_{rank:05d}.jsonl"), self._audit)


def write_audit(path: str, records: list[dict]) -> None:
    """Atomically (re)write one rank's audit file, so a rerun of the rank replaces it."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


# Command line --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Scan files for secrets and PII: print findings (hashed), optionally write redacted copies."""
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser(prog="python -m cppllm.pipeline.privacy.step", description=main.__doc__)
    ap.add_argument("paths", nargs="+", type=Path, help="files or directories to scan")
    ap.add_argument("--redact-to", type=Path, help="write redacted copies under this directory")
    ap.add_argument(
        "--keep-example-domains",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="leave addresses in RFC 2606/6761 example domains alone (default: yes)",
    )
    ap.add_argument(
        "--ner-model", help="local path of a token-classification model for names (StarPII-style)"
    )
    ap.add_argument("--no-prefilter", action="store_true", help="scan every line (slow; for checking)")
    args = ap.parse_args(argv)
    config = PrivacyConfig(
        allow_example_domains=args.keep_example_domains,
        ner_model=args.ner_model,
        prefilter=not args.no_prefilter,
    )
    ner = NameDetector(args.ner_model) if args.ner_model else None
    files = [
        f
        for p in args.paths
        for f in ([p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()))
    ]
    if not files:
        ap.error("no files found")
    total = 0
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as e:
            print(f"{f}: skipped ({e.__class__.__name__})")
            continue
        spans = find_pii(text, config, ner)
        total += len(spans)
        for rec in audit_findings(text, spans):
            print(f"{f}:{rec['line']}: {rec['kind']} ({rec['detector']}) sha256={rec['sha256'][:16]}")
        if args.redact_to is not None:
            out = args.redact_to / (
                f.name if f in args.paths else f.relative_to(next(p for p in args.paths if p in f.parents))
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            write_text(out, redact(text, spans))
    print(f"{total} finding(s) in {len(files)} file(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
