"""Model providers: the built-in deterministic one (default, no network) and two HTTP ones through
their official SDKs (OpenAI-compatible chat completions, Anthropic messages)."""
