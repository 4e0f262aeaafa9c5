"""Privacy: PII redaction (`pii`), secret detection (`secrets`) and the public digests they must keep (`digests`)."""
