"""Evaluation: bits per byte, sandboxed compile rate, FIM, HumanEval-C++, decontamination, report."""
