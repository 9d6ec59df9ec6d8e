"""Past reports as data: reading files, cleaning, 公文 sections and kinds, chunking, ingest."""
