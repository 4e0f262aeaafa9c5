import json
import re

from cppllm.bugs.__main__ import main
from cppllm.bugs.make import read_jsonl
from cppllm.bugs.sft import to_conversation


def test_to_sft_writes_the_messages_layout_with_grounded_varied_reasoning(made, tmp_path):
    out = tmp_path / "sft.jsonl"
    assert main(["to-sft", str(made), "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    items = {it["id"]: it for it in read_jsonl(made / "items.jsonl")}
    train = [it for it in items.values() if it["split"] == "train"]
    assert len(rows) == len(train) > 0
    reasonings = set()
    for row in rows:
        assert set(row) == {"messages"}
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert all(isinstance(m["content"], str) for m in row["messages"])
        assert all("reasoning" not in m for m in row["messages"][:2])
        reasonings.add(row["messages"][2]["reasoning"])
    assert len(reasonings) == len(rows)  # never one fixed string
    for it in train:
        conv = to_conversation(it)
        user, asst = conv["messages"][1]["content"], conv["messages"][2]
        ((name, code),) = it["files"].items()
        assert code.rstrip() in user and it["debug"]["text"].rstrip()[:200] in user
        r = asst["reasoning"]
        assert f"line {it['fault']['line']}" in r or f"{name}:{it['fault']['line']}" in r
        assert it["fault"]["symbol"] in r
        # the content is the fixed function, which is in the fixed file and not in the buggy one
        body = re.search(r"```cpp\n(.*)\n```", asst["content"], re.S).group(1)
        assert body in it["fixed_files"][name] and body not in code


def test_benchmark_family_items_never_become_training_data(made, tmp_path):
    items = read_jsonl(made / "items.jsonl")
    bench = dict(items[0], split="bench", id="x")
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [*items, bench]) + "\n")
    out = tmp_path / "sft.jsonl"
    assert main(["to-sft", str(path), "--out", str(out), "--format", "diff"]) == 0
    rows = out.read_text().splitlines()
    assert len(rows) == sum(it["split"] == "train" for it in items)
    assert all(json.loads(r)["messages"][2]["content"].startswith("```diff\n--- a/") for r in rows)
