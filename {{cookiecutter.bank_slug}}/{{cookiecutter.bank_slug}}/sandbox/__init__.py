"""Offline sandbox: WeChat's side of the conversation, played locally (no WeChat account needed)."""
