"""sopdraft: AI-assisted SOP drafting with grounded citations, critique and named-owner sign-off."""
