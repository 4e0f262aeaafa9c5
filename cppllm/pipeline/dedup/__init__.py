"""Deduplication: exact (`exact`), MinHash near-dedup (`near`, datatrove's stages in `minhash`, executors in
`run`) and decontamination against eval prompts (`decontam`)."""
