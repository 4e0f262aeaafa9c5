"""Privacy: regex PII detectors and redaction (`pii`), secrets (`secrets`) and the public digests they keep
(`digests`), the optional name model (`ner`), and the DataTrove step with its file scanner (`step`)."""
