"""cppllm: from raw C++ source code to a trained, evaluated C++-specialist language model."""

__version__ = "0.1.0"
