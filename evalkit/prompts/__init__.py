"""Prompts: the model-neutral structure, templates and few-shot builders."""
