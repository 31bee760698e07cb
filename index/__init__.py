"""Hindsight's index: storage (DuckDB, FAISS, tantivy), embedding and search."""
