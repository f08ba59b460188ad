"""One module per CLI subcommand: ``add_parser(parser)`` and ``main(args) -> int``."""
