"""DataTrove steps for C++ corpora: readers, normalizer, filters, privacy, license, dedup, binary writer.

Imports without torch.
"""
