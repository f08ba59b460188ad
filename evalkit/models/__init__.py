"""Model backends behind one interface (``evalkit.models.base.Model``)."""
