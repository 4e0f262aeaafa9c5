"""The agent: a model that fixes C++ repositories with tools, in a ReAct loop (`python -m cppllm.agent`).

protocol.py     `<|query_tool|>` calls found by id, malformed calls as errors, results cut to a budget
workspace.py    the sandboxed copy of the repository every tool works on (paths that leave it refused)
tools.py        the seven tools, their JSON schemas and budgets; build.py (compile, run_tests), patch.py
loop.py         run_agent: reason, call, observe until an answer or a budget ends
completers.py   our model, an OpenAI-compatible endpoint, or a replayed list of calls
repos.py        planted-bug repositories from verified bug items (cppllm.bugs)
trajectories.py expert tool-use trajectories for SFT (python -m cppllm.bugs to-agent-sft)
bench.py        agentfix, the agent benchmark (python -m cppllm.eval --tasks agentfix)
"""
