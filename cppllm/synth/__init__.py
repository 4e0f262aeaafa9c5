"""Synthetic C++ data from a teacher model: textbooks, exercises verified by execution, Q&A (`python -m cppllm.synth`)."""
