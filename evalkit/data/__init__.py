"""Samples and the loaders that read them from the hub or from local files."""
