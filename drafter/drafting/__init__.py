"""Writing a draft: prompts, the drafting engine and its strategies, clauses, report outline."""
