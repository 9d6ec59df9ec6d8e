"""Text primitives shared by every concern: script conversion, Han characters, sentences, tokens."""
