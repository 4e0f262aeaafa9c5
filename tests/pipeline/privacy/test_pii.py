"""PII redaction: emails, IPs, placeholders that keep code valid, policy, the DataTrove step, NER plumbing."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import subprocess

import pytest
from datatrove.data import Document

from cppllm.pipeline.privacy.pii import PrivacyConfig, decide, find_pii, redact
from cppllm.pipeline.privacy.secrets import Span
from cppllm.pipeline.privacy.step import PrivacyFilter, main

AWS = "AKIAQ7RZ4M2XK8PLW3NB"


def _kinds(text: str, **cfg) -> list[tuple[str, str]]:
    return [(s.kind, s.value) for s in find_pii(text, PrivacyConfig(**cfg))]


def test_emails_redacted_example_domains_kept_when_allowed():
    text = "// Maintainer: Jane Doe <jane.doe@mailbox.org>\n// see user@example.com, ops@ci.test\n"
    assert _kinds(text) == [("email", "jane.doe@mailbox.org")]
    assert [k for k, _ in _kinds(text, allow_example_domains=False)] == ["email"] * 3
    assert redact(text, find_pii(text)).startswith("// Maintainer: Jane Doe <<EMAIL>>")


@pytest.mark.parametrize(
    "line",
    [
        "/// @param host the host name\n/// @return the address\n",
        'auto s = fmt::format("{}@{}.com", user, domain);\n',
        'std::sprintf(buf, "%s@%s.com", user, host);\n',
        'auto url = "git@github.com:org/repo.git";\n',
        'auto f = "module@file.cpp";\n',
        'const char* v = "1.2.3.4";  // library version\n',
        '#define PROJECT_VERSION "10.4.2.1"\n',
        "// [23.2.4.1] construct/copy/destroy\n",
        'auto lan = "192.168.1.254"; auto lo = "127.0.0.1"; auto priv = "10.0.0.1";\n',
        'auto dns = "8.8.8.8"; auto doc = "192.0.2.15"; auto v6 = "2001:db8::1"; auto ll = "fe80::1";\n',
        "std::chrono::seconds t; std::vector<int> v; a::b::c();\n",
    ],
)
def test_lookalikes_stay(line):
    assert find_pii(line) == []
    assert redact(line, find_pii(line)) == line


def test_public_ips_redacted_with_network_context():
    text = 'const char* upstream = "52.14.88.201";\nauto v6 = "2a03:2880:f12f:83:face:b00c:0:25de";\n'
    assert [k for k, _ in _kinds(text)] == ["ip_address", "ip_address"]
    assert redact(text, find_pii(text)).count('"<IP_ADDRESS>"') == 2


def test_redaction_keeps_cpp_valid(tmp_path):
    """Placeholders stay inside their string literals: the redacted file still compiles."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    src = (
        "#include <string>\n"
        "// Contact: Jane Doe <jane.doe@mailbox.org>\n"
        f'static const char* kAws = "{AWS}";\n'
        'static std::string password("Tr0ub4dor&3xYz");\n'
        'static const char* kUrl = "postgres://svc:Zq8wXr4tPl2mNb@db.corp.io:5432/app";\n'
        'static const char* kHost = "52.14.88.201";\n'
        "static const char* kKey =\n"
        '    "-----BEGIN EC PRIVATE KEY-----\\n"\n'
        '    "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\\n"\n'
        '    "AwEHoUQDQgAEPR3tU2Fta9ktY+6P9G0cWO+0kETA6SFs38GecTyudlHz6xvCdz8q\\n"\n'
        '    "-----END EC PRIVATE KEY-----\\n";\n'
        "int main() { return kAws[0] + password.size() + kUrl[0] + kHost[0] + kKey[0] > 0 ? 0 : 1; }\n"
    )
    spans = find_pii(src)
    assert {s.kind for s in spans} >= {
        "email",
        "aws_key",
        "password",
        "connection_password",
        "ip_address",
        "private_key",
    }
    out = redact(src, spans)
    for secret in (AWS, "Tr0ub4dor", "Zq8wXr4tPl2mNb", "52.14.88.201", "MHcCAQEE", "AwEHoUQD", "jane.doe"):
        assert secret not in out
    for name, text in (("orig.cpp", src), ("redacted.cpp", out)):
        (tmp_path / name).write_text(text)
        r = subprocess.run(["g++", "-fsyntax-only", str(tmp_path / name)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_redact_merges_overlaps_and_keeps_quote_parity():
    text = 'a = "xx" "yy";'
    # One span crossing the literal boundary `" "` (even quotes) and one with a single quote (odd).
    assert redact(text, [Span(5, 12, "aws_key", text[5:12], "t")]) == 'a = "<KEY>";'
    assert (
        redact(text, [Span(5, 8, "aws_key", 'xx"', "t"), Span(6, 7, "jwt", "x", "t")]) == 'a = "<KEY>" "yy";'
    )


def _spans(*kinds: str) -> list[Span]:
    return [Span(i, i + 1, k, "x", "t") for i, k in enumerate(kinds)]


def test_policy_decisions():
    assert decide([], PrivacyConfig()) is None
    assert decide(_spans("email", "aws_key"), PrivacyConfig()) is None
    assert decide(_spans("private_key"), PrivacyConfig()) == "private_key"
    assert decide(_spans("private_key"), PrivacyConfig(drop_private_keys=False)) is None
    assert decide(_spans("aws_key", "jwt", "email"), PrivacyConfig(max_secrets=1)) == "too_many_secrets"
    assert decide(_spans("aws_key", "jwt"), PrivacyConfig(max_secrets=2)) is None
    assert decide(_spans("email"), PrivacyConfig(action="drop")) == "has_pii"
    assert decide(_spans("email", "jwt"), PrivacyConfig(action="drop")) == "has_secrets"
    with pytest.raises(ValueError):
        PrivacyConfig(action="mask")


def _docs():
    return [
        Document(text="int clean() { return 0; }\n", id="clean", metadata={"source": "t", "path": "a.cpp"}),
        Document(text=f'auto k = "{AWS}"; // jane.doe@mailbox.org\n', id="leaky", metadata={"path": "b.cpp"}),
        Document(
            text='auto k = R"(-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7kqGyYdK0zTqsEe2\n'
            '-----END RSA PRIVATE KEY-----)";\n',
            id="pem",
            metadata={"path": "c.cpp"},
        ),
    ]


def test_step_redacts_drops_counts_and_audits(tmp_path):
    step = PrivacyFilter(PrivacyConfig(), audit_dir=str(tmp_path / "audit"))
    out = list(step.run(iter(_docs()), rank=3))
    assert [d.id for d in out] == ["clean", "leaky"]
    assert out[1].text == 'auto k = "<KEY>"; // <EMAIL>\n'
    stats = step.stats.to_dict() if hasattr(step.stats, "to_dict") else step.stats
    text = json.dumps(stats, default=str)
    for key in ("found_aws_key", "found_email", "found_private_key", "dropped_private_key", "redacted_docs"):
        assert key in text, key
    audit = (tmp_path / "audit" / "privacy_00003.jsonl").read_text()
    recs = [json.loads(line) for line in audit.splitlines()]
    assert [(r["id"], r["action"], r["reason"]) for r in recs] == [
        ("leaky", "redacted", None),
        ("pem", "dropped", "private_key"),
    ]
    assert AWS not in audit and "mailbox.org" not in audit and "MIIEp" not in audit
    assert recs[0]["findings"][0]["sha256"] == hashlib.sha256(AWS.encode()).hexdigest()
    # A rerun of the rank rewrites its audit file instead of appending to it.
    list(step.run(iter(_docs()), rank=3))
    assert (tmp_path / "audit" / "privacy_00003.jsonl").read_text() == audit


def test_step_drop_mode_and_pickles(tmp_path):
    step = PrivacyFilter(PrivacyConfig(action="drop", ner_model=str(tmp_path / "unused")))
    step = pickle.loads(pickle.dumps(step))
    assert step.ner is not None and step.ner._model is None  # loads lazily in the worker
    step = PrivacyFilter(PrivacyConfig(action="drop"))
    assert [d.id for d in step.run(iter(_docs()))] == ["clean"]


def _tiny_ner(path, label_bias: str) -> str:
    """A randomly initialised BERT token classifier whose bias forces one label everywhere."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = [
        "[PAD]",
        "[UNK]",
        "written",
        "by",
        "john",
        "smith",
        "and",
        "jane",
        "doe",
        "the",
        "parser",
        "for",
        "c++",
        "files",
    ]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    fast.model_max_length = 64
    labels = {0: "O", 1: "B-NAME", 2: "I-NAME"}
    cfg = transformers.BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=3,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([5.0 if labels[i] == label_bias else 0.0 for i in range(3)]))
    fast.save_pretrained(path)
    model.save_pretrained(path)
    return str(path)


def test_ner_plumbing_with_tiny_model(tmp_path):
    text = "// Written by John Smith and Jane Doe\nint parse(const char* files);\n"
    name_model = _tiny_ner(tmp_path / "names", "I-NAME")
    cfg = PrivacyConfig(ner_model=name_model, ner_device="cpu")
    step = PrivacyFilter(cfg)
    assert step.ner is not None
    step.ner.max_length, step.ner.stride = 8, 2  # several overlapping windows
    spans = find_pii(text, cfg, step.ner)
    assert spans and all(s.kind == "name" and s.detector == "ner" for s in spans)
    assert "John Smith" not in redact(text, spans) and "<NAME>" in redact(text, spans)
    quiet = _tiny_ner(tmp_path / "quiet", "O")
    step = PrivacyFilter(PrivacyConfig(ner_model=quiet, ner_device="cpu"))
    assert find_pii(text, step.config, step.ner) == []


def test_cli_reports_hashed_and_writes_redacted_copies(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.cpp").write_text(f'auto k = "{AWS}";\n')
    (src / "b.cpp").write_text("int x;\n")
    assert main([str(src), "--redact-to", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "a.cpp:1: aws_key" in printed and AWS not in printed
    assert (tmp_path / "out" / "a.cpp").read_text() == 'auto k = "<KEY>";\n'
    assert (tmp_path / "out" / "b.cpp").read_text() == "int x;\n"


def _leak_run(tmp_path, texts: dict[str, str], with_privacy: bool) -> tuple[str, str]:
    """docs -> [PrivacyFilter] -> parquet docs -> tokenizer -> .bin; returns (docs text, decoded .bin)."""
    import pyarrow.parquet as pq
    from datatrove.pipeline.writers import ParquetWriter

    from cppllm.pipeline.pretokenize.binwriter import write_bins
    from cppllm.pipeline.pretokenize.indexed import IndexedReader
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    docs = [Document(text=t, id=n, metadata={"source": "t", "path": n, "repo": n}) for n, t in texts.items()]
    stream = iter(docs)
    if with_privacy:
        stream = PrivacyFilter(PrivacyConfig(drop_private_keys=False), audit_dir=str(tmp_path / "audit")).run(
            stream
        )
    list(ParquetWriter(str(tmp_path / "docs")).run(stream))
    corpus = [
        t
        for f in sorted((tmp_path / "docs").rglob("*.parquet"))
        for t in pq.read_table(f)["text"].to_pylist()
    ]
    train_tokenizer(corpus, 400).save(tmp_path / "tokenizer")
    write_bins(
        tmp_path / "docs", tmp_path, tmp_path / "tokenizer", val_fraction=0.0, logging_dir=tmp_path / "logs"
    )
    tok = CppTokenizer.load(tmp_path / "tokenizer")
    decoded = []
    for split in ("train", "val"):
        if (tmp_path / "bin" / f"{split}.idx").exists():
            r = IndexedReader(tmp_path / "bin" / split)
            decoded += [tok.decode(r[i].tolist()) for i in range(len(r))]
    return "\n".join(corpus), "\n".join(decoded)


def test_nothing_secret_reaches_docs_tokenizer_corpus_or_bin(tmp_path, fixtures_dir):
    labels = json.loads((fixtures_dir / "privacy" / "labels.json").read_text())
    texts = {n: (fixtures_dir / "privacy" / n).read_text() for n in labels}
    secrets = [v for lab in labels.values() for item in lab["secrets"] for v in item["values"]]
    # Positive control: without the step the planted values do reach every output.
    docs, bins = _leak_run(tmp_path / "raw", texts, with_privacy=False)
    assert all(v in docs for v in secrets) and sum(v in bins for v in secrets) > len(secrets) // 2
    docs, bins = _leak_run(tmp_path / "clean", texts, with_privacy=True)
    assert [v for v in secrets if v in docs] == []
    assert [v for v in secrets if v in bins] == []
    assert "<KEY>" in docs and "<EMAIL>" in docs
    assert not any(v in (tmp_path / "clean" / "audit" / "privacy_00000.jsonl").read_text() for v in secrets)
