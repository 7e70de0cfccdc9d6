"""lettersmith: adopted statements and a recipient register in, signed letters out."""

__version__ = "0.1.0"
