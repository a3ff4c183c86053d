"""Loading, chunking and indexing of process documents for retrieval."""
