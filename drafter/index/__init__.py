"""The searchable store: embeddings, chromadb + BM25 store, hybrid retrieval and its evaluation."""
