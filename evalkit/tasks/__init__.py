"""Task specs (``tasks/*.yaml``): validation into typed specs, and the registry that finds them."""
