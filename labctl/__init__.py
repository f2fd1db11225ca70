"""labctl: provision, check, reset and watch an e-commerce data-analysis training room."""

__version__ = "0.1.0"
