"""Cleaning: C++ whitespace normalization (`normalize`) and BigCode quality filters (`filters`)."""
