"""Commits as documents: CommitPackFT's C++ subset (`bigcode/commitpackft`, config `c++`).

CommitPackFT (Muennighoff et al., OctoPack, arXiv:2308.07124) rows hold one file changed by one commit:
`commit`, `old_file`, `new_file`, `old_contents`, `new_contents`, `subject`, `message`, `lang`, `license`,
`repos`. A row becomes one document whose text is the commit in OctoPack's layout,

    <commit_before>
    OLD CONTENTS
    <commit_msg>
    MESSAGE
    <commit_after>
    NEW CONTENTS

so that every usual step (quality filters, PII/secret redaction, license tagging, dedup, decontamination)
sees and treats the old file, the message and the new file alike; `parse_commit` takes a (possibly
redacted) document apart again for bug-fix training pairs. Metadata: `path` (the new file), `old_path`,
`repo` (the first of `repos`), `version` (the commit) and the dataset's `license`.
"""

from __future__ import annotations

from dataclasses import dataclass

BEFORE, MSG, AFTER = "<commit_before>\n", "\n<commit_msg>\n", "\n<commit_after>\n"


@dataclass(frozen=True)
class CommitPair:
    old: str
    message: str
    new: str


def format_commit(old: str, message: str, new: str) -> str:
    return f"{BEFORE}{old}{MSG}{message.strip()}{AFTER}{new}"


def parse_commit(text: str) -> CommitPair | None:
    """The three parts of a `format_commit` text, or None when its markers are gone or out of order."""
    if not text.startswith(BEFORE):
        return None
    i, j = text.find(MSG, len(BEFORE)), text.rfind(AFTER)
    if i < 0 or j < i:
        return None
    return CommitPair(old=text[len(BEFORE) : i], message=text[i + len(MSG) : j], new=text[j + len(AFTER) :])


def commit_text(row: dict) -> str | None:
    """The document text of one CommitPackFT row; None (a drop) when the commit changes nothing."""
    old, new = row.get("old_contents") or "", row.get("new_contents") or ""
    if not isinstance(old, str) or not isinstance(new, str) or old == new:
        return None
    message = row.get("message") or row.get("subject") or ""
    return format_commit(old, str(message), new)


def commit_metadata(row: dict) -> dict[str, str]:
    repos = str(row.get("repos") or "")
    return {"old_path": str(row.get("old_file") or ""), "repo": repos.split(",")[0].strip()}
