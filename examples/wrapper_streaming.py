"""The original LockLLM README's example "Streaming Support".

Run with LOCKLLM_API_KEY (and LOCKLLM_BASE_URL for a local proxy) set:
    python examples/wrapper_streaming.py
"""

# The original README's block below is kept verbatim, so it is left unformatted.

import os

from lockllm import create_openai

# --- the original README code block, verbatim ---
# fmt: off
openai = create_openai(api_key=os.getenv("LOCKLLM_API_KEY"))

stream = openai.chat.completions.create(
    model="gpt-4",
    messages=[{"role": "user", "content": "Count from 1 to 5"}],
    stream=True
)

for chunk in stream:
    if chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end='')
# fmt: on
