"""CommitPackFT C++ rows (tests/fixtures/readers/commitpackft_cpp.jsonl, the dataset's column layout:
commit, old_file, new_file, old_contents, new_contents, subject, message, lang, license, repos) read offline
through the reader, the PII/secrets step and the license step."""

from pathlib import Path

from cppllm.pipeline.clean.filters import CodeQualityFilter
from cppllm.pipeline.license.tagger import LicenseTagger
from cppllm.pipeline.privacy.step import PrivacyFilter
from cppllm.pipeline.readers.commits import format_commit, parse_commit
from cppllm.pipeline.readers.registry import make_reader

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "readers" / "commitpackft_cpp.jsonl"


def test_commit_text_round_trips():
    text = format_commit("int a;\n", " Fix it \n", "int a = 0;\n")
    assert parse_commit(text) == parse_commit(text) and parse_commit(text).message == "Fix it"
    assert parse_commit(text).old == "int a;\n" and parse_commit(text).new == "int a = 0;\n"
    assert parse_commit("int main() {}") is None


def test_commitpackft_rows_become_commit_documents_through_privacy_and_license():
    reader = make_reader("bigcode/commitpackft", data_files=str(FIX))
    assert reader.spec.config == "c++" and reader.spec.dataset == "bigcode/commitpackft"
    docs = list(reader.run())
    assert [d.metadata["path"] for d in docs] == [
        "src/session.cpp",
        "util/sum.cc",
    ]  # no-op and Python dropped
    stats = reader.stats.to_dict() if hasattr(reader.stats, "to_dict") else reader.stats
    text = str(stats)
    assert "dropped_unchanged_commit" in text and "skipped_not_cpp" in text
    first = docs[0]
    assert first.metadata["repo"] == "acme/sessiond" and first.metadata["version"].startswith("0f1e2d3c")
    pair = parse_commit(first.text)
    assert "Session* s = sessions.at(id);" in pair.old and "sessions.find(id)" in pair.new
    assert pair.message.startswith("Fix crash on unknown session id")

    assert (
        first.id == "commitpackft-cpp/acme/sessiond/src/session.cpp@0f1e2d3c4b5a69788796a5b4c3d2e1f00112233"
    )

    kept = list(CodeQualityFilter().run(iter(docs)))
    assert len(kept) == 2
    private = list(PrivacyFilter().run(iter(kept)))
    assert len(private) == 2
    redacted = parse_commit(private[0].text)
    assert redacted is not None and "jane.roe@corp-mail.com" not in private[0].text  # old side redacted too
    assert "sessions.find(id)" in redacted.new

    tagged = list(LicenseTagger(policy="permissive").run(iter(private)))
    assert [(d.metadata["license"], d.metadata["license_source"]) for d in tagged] == [
        ("mit", "dataset"),
        ("apache-2.0", "dataset"),
    ]
