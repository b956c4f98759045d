"""The original LockLLM README's example "Multi-Provider Support".

Run with LOCKLLM_API_KEY (and LOCKLLM_BASE_URL for a local proxy) set:
    python examples/wrapper_multi_provider.py
"""

# ruff: noqa: I001
# The original README's block below is kept verbatim, so it is left unformatted.

import os

# --- the original README code block, verbatim ---
# fmt: off
from lockllm import (
    create_groq,
    create_deepseek,
    create_mistral,
    create_perplexity,
)

# Groq - Fast inference with Llama models
groq = create_groq(api_key=os.getenv("LOCKLLM_API_KEY"))
response = groq.chat.completions.create(
    model='llama-3.1-70b-versatile',
    messages=[{'role': 'user', 'content': 'Hello!'}]
)

# DeepSeek - Advanced reasoning models
deepseek = create_deepseek(api_key=os.getenv("LOCKLLM_API_KEY"))

# Mistral - European AI provider
mistral = create_mistral(api_key=os.getenv("LOCKLLM_API_KEY"))

# Perplexity - Models with internet access
perplexity = create_perplexity(api_key=os.getenv("LOCKLLM_API_KEY"))
# fmt: on
# --- end of the original README block ---

print(response.choices[0].message.content)
for client in (groq, deepseek, mistral, perplexity):
    print(client.base_url)
