"""Chat template: the loss mask covers exactly the assistant spans; transformers' apply_chat_template agrees;
tokenizers trained before the chat tokens keep loading and refuse chat clearly."""

from __future__ import annotations

import re

import pytest

from cppllm.tokenizer.chat import parse_reply, render
from cppllm.tokenizer.special import (
    ASSISTANT_ID,
    BOS_ID,
    END_TURN_ID,
    N_SPECIAL_REQUIRED,
    SPECIAL_TOKENS,
    SYSTEM_ID,
    THOUGHT_END_ID,
    THOUGHT_START_ID,
    USER_ID,
)
from cppllm.tokenizer.tokenizer import CppTokenizer, build_empty, train_tokenizer

CONVO = [
    {"role": "system", "content": "You fix C++ bugs."},
    {"role": "user", "content": "for (int i = 0; i <= n; ++i) a[i] = 0;"},
    {"role": "assistant", "content": "Use i < n.", "reasoning": "a has n elements; a[n] is out of bounds."},
    {"role": "user", "content": "And this?\nint *p = new int; delete[] p;"},
    {"role": "assistant", "content": "Use delete p;"},
]


@pytest.fixture(scope="module")
def tok(cpp_sample) -> CppTokenizer:
    return train_tokenizer(list(cpp_sample.values())[:20], 600)


def test_mask_covers_exactly_the_assistant_spans(tok):
    ids, mask = render(CONVO, tok)
    enc = tok.encode
    # the expected layout, piece by piece: (tokens, in the loss?)
    pieces = [
        ([BOS_ID], 0),
        ([SYSTEM_ID, *enc(CONVO[0]["content"]), END_TURN_ID], 0),
        ([USER_ID, *enc(CONVO[1]["content"]), END_TURN_ID], 0),
        ([ASSISTANT_ID], 0),
        (
            [
                THOUGHT_START_ID,
                *enc(CONVO[2]["reasoning"]),
                THOUGHT_END_ID,
                *enc(CONVO[2]["content"]),
                END_TURN_ID,
            ],
            1,
        ),
        ([USER_ID, *enc(CONVO[3]["content"]), END_TURN_ID], 0),
        ([ASSISTANT_ID], 0),
        ([*enc(CONVO[4]["content"]), END_TURN_ID], 1),
    ]
    assert ids == [t for p, _ in pieces for t in p]
    assert mask == [m for p, m in pieces for _ in p]
    learned = tok.decode([t for t, m in zip(ids, mask, strict=True) if m])
    want = "".join(SPECIAL_TOKENS[k] for k in ("THOUGHT_START",)) + CONVO[2]["reasoning"]
    assert learned.startswith(want) and learned.endswith("Use delete p;<|end_turn|>")
    assert "You fix" not in learned and "new int" not in learned


def test_generation_prompt_and_parse_reply(tok):
    ids, mask = render(CONVO[:2], tok, add_generation_prompt=True)
    assert ids[-1] == ASSISTANT_ID and not any(mask)
    reply = [THOUGHT_START_ID, *tok.encode("think"), THOUGHT_END_ID, *tok.encode("answer"), END_TURN_ID, 99]
    assert parse_reply(reply, tok) == ("think", "answer")
    assert parse_reply([*tok.encode("plain"), END_TURN_ID], tok) == (None, "plain")


@pytest.mark.parametrize(
    "bad",
    [
        [{"role": "bot", "content": "x"}],
        [{"role": "user", "content": 3}],
        [{"role": "user", "content": "x", "reasoning": "users do not reason"}],
        [{"role": "user", "content": "no reply"}],
        [],
    ],
)
def test_invalid_conversations_are_refused(tok, bad):
    with pytest.raises(ValueError, match="invalid conversation"):
        render(bad, tok)


def test_transformers_apply_chat_template_gives_the_same_ids_and_mask(tok, tmp_path):
    from transformers import AutoTokenizer

    tok.save_transformers(tmp_path / "hf")
    hf = AutoTokenizer.from_pretrained(str(tmp_path / "hf"))
    # the exported tokenizer splits special-token text by default (like `encode`); the template's own
    # markers must be read as tokens, hence split_special_tokens=False for the template
    kw = {"tokenizer_kwargs": {"split_special_tokens": False}}
    out = hf.apply_chat_template(
        CONVO, tokenize=True, return_dict=True, return_assistant_tokens_mask=True, **kw
    )
    ids, mask = render(CONVO, tok)
    assert list(out["input_ids"]) == ids
    assert list(out["assistant_masks"]) == mask
    gen = hf.apply_chat_template(CONVO[:2], tokenize=True, add_generation_prompt=True, return_dict=True, **kw)
    assert list(gen["input_ids"]) == render(CONVO[:2], tok, add_generation_prompt=True)[0]


def test_tokenizer_from_before_the_chat_tokens_loads_and_refuses_chat(cpp_sample):
    from tokenizers import pre_tokenizers, trainers

    tk = build_empty()
    old_specials = list(SPECIAL_TOKENS.values())[:N_SPECIAL_REQUIRED]
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=old_specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tk.train_from_iterator(list(cpp_sample.values())[:10], trainer=trainer)
    old = CppTokenizer(tk)
    assert old.n_special == N_SPECIAL_REQUIRED
    text = "int main() { return 0; }"
    assert old.decode(old.encode(text)) == text
    assert old.token_bytes()[N_SPECIAL_REQUIRED] == 1  # id 11 is a byte token there, not <|system|>
    assert old.special_id("EOS") == 1
    with pytest.raises(ValueError, match=re.escape("trained before special token '<|end_turn|>'")):
        render(CONVO, old)
