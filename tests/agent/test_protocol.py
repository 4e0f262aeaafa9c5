"""The tool-call protocol: calls found by token id, malformed calls become readable errors, results are cut
to a budget with a note, and the chat template (ours and transformers') renders tool turns identically."""

from __future__ import annotations

import pytest

from cppllm.agent.protocol import MalformedCall, parse_call, split_reply, split_text, truncate
from cppllm.agent.tools import TOOL_SCHEMAS
from cppllm.tokenizer.chat import render, tools_text
from cppllm.tokenizer.special import (
    ASSISTANT_ID,
    END_TURN_ID,
    QUERY_TOOL_ID,
    SYSTEM_ID,
    THOUGHT_END_ID,
    THOUGHT_START_ID,
    TOOL_RESULT_ID,
)

CALL = {"name": "read_file", "arguments": {"path": "src/ring.cpp", "start_line": 20}}
CONVO = [
    {"role": "system", "content": "You fix C++ bugs."},
    {"role": "user", "content": "The tests crash. Fix it."},
    {
        "role": "assistant",
        "content": "",
        "reasoning": "Run the tests first.",
        "tool_calls": [{"type": "function", "function": {"name": "run_tests", "arguments": {}}}],
    },
    {"role": "tool", "content": "sanitizer: heap-buffer-overflow at src/ring.cpp:24"},
    {
        "role": "assistant",
        "content": "Reading it.",
        "tool_calls": [{"type": "function", "function": CALL}],
    },
    {"role": "tool", "content": "24| total += data_[head_ + i];"},
    {"role": "assistant", "content": "Fixed: the index wraps now.", "reasoning": "done"},
]


def test_call_is_found_by_token_id_not_by_text(chat_tok):
    tok = chat_tok
    ids = [THOUGHT_START_ID, *tok.encode("need the file"), THOUGHT_END_ID, *tok.encode("ok"), QUERY_TOOL_ID]
    ids += tok.encode('{"name": "read_file", "arguments": {"path": "a.cpp"}}')
    step = split_reply([*ids, END_TURN_ID], tok)
    assert step.is_call and step.reasoning == "need the file" and step.content == "ok"
    assert parse_call(step.call_text).arguments == {"path": "a.cpp"}
    # the marker's characters written as plain text are no call
    fake = tok.encode('<|query_tool|>{"name": "run_tests", "arguments": {}}')
    assert QUERY_TOOL_ID not in fake
    assert not split_reply(fake, tok).is_call
    assert split_text('thinking <|query_tool|>{"name": "x"}<|tool_result|>junk').call_text == '{"name": "x"}'


@pytest.mark.parametrize(
    "text,why",
    [
        ("", "empty"),
        ("{name: read_file}", "not valid JSON"),
        ('["read_file"]', "must be a JSON object"),
        ('{"arguments": {}}', 'no "name"'),
        ('{"name": "read_file", "arguments": [1]}', "must be a JSON object"),
        ('{"name": "read_file", "arguments": {}} and more', "text after"),
        ('{"name": "read_file", "arguments": "{bad"}', "not JSON"),
    ],
)
def test_malformed_calls_raise_a_readable_reason(text, why):
    with pytest.raises(MalformedCall, match=why):
        parse_call(text)


def test_openai_string_arguments_are_accepted():
    assert parse_call('{"name": "search", "arguments": "{\\"pattern\\": \\"x\\"}"}').arguments == {
        "pattern": "x"
    }


def test_truncate_keeps_head_and_tail_with_a_note():
    text = "".join(f"line {i}\n" for i in range(5000))
    out = truncate(text, 1000)
    assert len(out) < 1200 and out.startswith("line 0\n") and out.endswith("line 4999\n")
    assert "characters cut" in out and "1000-character budget" in out
    assert truncate("short", 1000) == "short"


def test_template_layout_and_mask_of_tool_turns(chat_tok):
    tok = chat_tok
    ids, mask = render(CONVO, tok, tools=TOOL_SCHEMAS)
    assert ids[1] == SYSTEM_ID and tok.decode(ids[2 : ids.index(END_TURN_ID)]) == tools_text(TOOL_SCHEMAS)
    # every call: <|query_tool|> + the JSON, learned; every result: <|tool_result|> ..., not learned
    q = [i for i, t in enumerate(ids) if t == QUERY_TOOL_ID]
    r = [i for i, t in enumerate(ids) if t == TOOL_RESULT_ID]
    assert len(q) == 2 and len(r) == 2
    assert all(mask[i] == 1 for i in q) and all(mask[i] == 0 for i in r)
    second = ids[q[1] + 1 : ids.index(END_TURN_ID, q[1])]
    assert parse_call(tok.decode(second)).to_dict() == CALL
    result_span = range(r[0], ids.index(END_TURN_ID, r[0]) + 1)
    assert not any(mask[i] for i in result_span)
    assert mask[ids.index(END_TURN_ID, q[0])] == 1  # the model learns to stop after its call
    assert ids[r[0] + 1 + len(tok.encode(CONVO[3]["content"])) + 1] == ASSISTANT_ID


def test_transformers_apply_chat_template_with_tools_gives_the_same_ids_and_mask(chat_tok, tmp_path):
    from transformers import AutoTokenizer

    chat_tok.save_transformers(tmp_path / "hf")
    hf = AutoTokenizer.from_pretrained(str(tmp_path / "hf"))
    kw = {"tokenizer_kwargs": {"split_special_tokens": False}}
    out = hf.apply_chat_template(
        CONVO, tools=TOOL_SCHEMAS, tokenize=True, return_dict=True, return_assistant_tokens_mask=True, **kw
    )
    ids, mask = render(CONVO, chat_tok, tools=TOOL_SCHEMAS)
    assert list(out["input_ids"]) == ids
    assert list(out["assistant_masks"]) == mask
    gen = hf.apply_chat_template(
        CONVO[:4], tools=TOOL_SCHEMAS, tokenize=True, add_generation_prompt=True, return_dict=True, **kw
    )
    assert (
        list(gen["input_ids"])
        == render(CONVO[:4], chat_tok, add_generation_prompt=True, tools=TOOL_SCHEMAS)[0]
    )


def test_bad_tool_calls_in_a_conversation_are_refused(chat_tok):
    bad = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": 3}]},
    ]
    with pytest.raises(ValueError, match="bad_tool_calls"):
        render(bad, chat_tok)
