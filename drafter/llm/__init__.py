"""Talking to a model: the client interface, the OpenAI-compatible endpoint, the embedded local server."""
