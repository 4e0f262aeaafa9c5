"""GPT for C++: GQA, SwiGLU, RMSNorm, RoPE + YaRN, presets, generation, export. Imports without datatrove."""
