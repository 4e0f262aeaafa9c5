"""Verified exercises as SFT conversations, in the training stages' layout:

    {"messages": [{"role": "system" | "user" | "assistant", "content": str, "reasoning": str (optional)}]}

The user turn is the problem statement with the tests the answer must pass; the assistant turn is the
verified solution (and the teacher's separate reasoning, when the server returned one).
"""

from __future__ import annotations

SYSTEM = "You are a careful C++ programmer. Answer with complete, compilable C++20 code."


def exercise_to_conversation(row: dict, system: str = SYSTEM) -> dict:
    """One verified exercise (`problem`, `solution`, `tests`, optional `reasoning`) as a conversation."""
    user = (
        f"{row['problem'].strip()}\n\nYour code must pass these tests:\n\n```cpp\n{row['tests'].strip()}\n```"
    )
    assistant: dict = {"role": "assistant", "content": f"```cpp\n{row['solution'].strip()}\n```"}
    if row.get("reasoning"):
        assistant["reasoning"] = row["reasoning"]
    return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}, assistant]}
