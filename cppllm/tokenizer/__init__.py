"""C++ byte-level BPE tokenizer: pre-tokenization regex, special tokens, training and reports."""
