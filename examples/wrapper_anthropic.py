"""The original LockLLM README's example "Anthropic Claude with Security".

Run with LOCKLLM_API_KEY (and LOCKLLM_BASE_URL for a local proxy) set:
    python examples/wrapper_anthropic.py
"""

# ruff: noqa: E402
# The original README's block below is kept verbatim, so it is left unformatted.

import os

user_input = "Write a haiku about security."

# --- the original README code block, verbatim ---
# fmt: off
from lockllm import create_anthropic

anthropic = create_anthropic(api_key=os.getenv("LOCKLLM_API_KEY"))

message = anthropic.messages.create(
    model="claude-3-5-sonnet-20241022",
    max_tokens=1024,
    messages=[{"role": "user", "content": user_input}]
)

print(message.content)
# fmt: on
