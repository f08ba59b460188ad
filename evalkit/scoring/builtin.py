"""evalkit's registered extractors, sample scorers and aggregations.

Each part is a thin adapter from the journaled record (``output``, ``target``, ``meta``) to a
function of ``evalkit.metrics``, which holds the official-exact logic and names its source. They live
by kind in ``extractors``, ``scorers`` and ``aggregations``; importing this module registers them all.
"""

from evalkit.scoring import aggregations, extractors, scorers

__all__ = ["aggregations", "extractors", "scorers"]
