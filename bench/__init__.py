"""Retrieval-quality evaluation: BEIR datasets and the judged query files, run in-process."""
