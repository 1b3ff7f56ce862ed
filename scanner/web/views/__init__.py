"""The pages, one module per audience: :mod:`.employee`, :mod:`.leader`, :mod:`.dpo`,
and :mod:`.auth` for signing in and out; :mod:`.common` holds what they share."""
