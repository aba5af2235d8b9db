"""Settings (environment / .env) and the office catalog (TOML)."""
