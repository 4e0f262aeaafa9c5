"""The bug-fix benchmarks join the eval sets that decontamination removes from training data."""

import json
import random

from datatrove.data import Document

from cppllm.bugs.families import FAMILIES
from cppllm.bugs.template import plant
from cppllm.pipeline.dedup.decontam import DecontamConfig, DecontaminationFilter, load_eval_texts


def _item(family, split, seed):
    m = plant(FAMILIES[family](random.Random(seed)), "null_deref", random.Random(seed))
    return {
        "id": f"{family}-{seed}",
        "kind": "null_deref",
        "split": split,
        "files": {m.filename: m.buggy},
        "fixed_files": {m.filename: m.fixed},
    }


def test_humanevalfix_problems_and_bench_items_are_eval_sets_train_items_are_not(fixtures_dir, tmp_path):
    hep = fixtures_dir / "eval" / "humanevalpack-cpp-mini.jsonl"
    bench, bench2, train = (
        _item("bst", "bench", 1),
        _item("config_parser", "bench", 3),
        _item("linked_list", "train", 2),
    )
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps(x) + "\n" for x in (bench, bench2, train)))
    sets = load_eval_texts([hep, items])
    assert set(sets) == {"humanevalfix", "nullfix"}
    assert len(sets["humanevalfix"]) == 8 and len(sets["nullfix"]) == 4

    step = DecontaminationFilter(DecontamConfig(eval_files=(str(hep), str(items))))
    gcd = json.loads(hep.read_text().splitlines()[2])
    train_src = next(iter(train["fixed_files"].values()))
    bench_fn = next(iter(bench["fixed_files"].values())).split("int main")[0][-1500:]
    docs = [
        Document(text="// a gcd helper\nint g(int a, int b) {\n" + gcd["canonical_solution"], id="hef"),
        Document(text="// vendored\n" + bench_fn, id="bench"),
        # training items stay trainable: the CHECK macros all programs share are boilerplate, not overlap
        Document(text=train_src, id="train-item"),
    ]
    kept = [d.id for d in step.run(iter(docs))]
    assert kept == ["train-item"]
    stats = json.dumps(step.stats.to_dict() if hasattr(step.stats, "to_dict") else step.stats, default=str)
    assert "contaminated_humanevalfix" in stats and "contaminated_nullfix" in stats
