"""Accounts: users, roles, scopes, logins and API tokens."""
