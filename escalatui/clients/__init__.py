"""Provider adapters behind one small interface (`ChatClient`), registered by name."""
