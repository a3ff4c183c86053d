"""Who is acting: local accounts, sessions and API tokens, OIDC identities, and what each role may do."""
