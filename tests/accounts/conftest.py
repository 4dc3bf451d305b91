"""The account tests borrow the elder tests' small district (a street to scope an operator to)."""
from ..elders.conftest import place  # noqa: F401
