"""The demo storefront: product grid, product pages, a cart and the chat widget."""

from web.app import create_app

__all__ = ["create_app"]
