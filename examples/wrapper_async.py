"""The original LockLLM README's example "Async Usage".

Run with LOCKLLM_API_KEY (and LOCKLLM_BASE_URL for a local proxy) set:
    python examples/wrapper_async.py
"""

# ruff: noqa: I001
# The original README's block below is kept verbatim, so it is left unformatted.

import os

# --- the original README code block, verbatim ---
# fmt: off
import asyncio
from lockllm import create_async_openai

async def main():
    openai = create_async_openai(api_key=os.getenv("LOCKLLM_API_KEY"))

    response = await openai.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "Hello!"}]
    )

    print(response.choices[0].message.content)

asyncio.run(main())
# fmt: on
