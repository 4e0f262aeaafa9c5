"""After the tokenizer: FIM (`fim`), the `.bin/.idx` writer (`binwriter`) and format (`indexed`), and
repository-level documents for long context (`repodocs`)."""
