"""Licenses: per-file detection (`scan`), tree licenses (`trees`), the tagging step (`tagger`), the keep/drop
policy (`policy`) and the provenance manifest of a run (`provenance`)."""
