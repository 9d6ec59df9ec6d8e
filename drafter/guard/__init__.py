"""The number guard and the other checks: every number, name and sentence of a draft is verified here."""
