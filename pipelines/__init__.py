"""Declarative milestone data pipelines (m0, m1, m2)."""
