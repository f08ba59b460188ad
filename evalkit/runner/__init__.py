"""The evaluation pipeline: load samples → build prompts → run the model → extract → score → aggregate."""
