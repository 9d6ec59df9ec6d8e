"""What a draft becomes: Word documents, and reading a draft back for checking."""
