// Writes reference chat-template renderings for TestChatTemplateReference, made by
// @huggingface/jinja (the Jinja engine of Hugging Face's JavaScript libraries) with the variables
// Hugging Face transformers' apply_chat_template passes to a template.
//
// Usage: node render.js CACHE_DIR CHAT_DIR
// Reads CHAT_DIR/conversations.json and every CHAT_DIR/*/tokenizer_config.json, and writes
// CHAT_DIR/reference.json: {"generator", "date", "renders": [{"model", "conversation", "js"}],
// "strftime": [{"format", "js"}]}. render.py may then add "python" renderings beside "js".
'use strict';
const fs = require('fs');
const path = require('path');

const [cache, chatDir] = process.argv.slice(2);
if (!cache || !chatDir) {
  console.error('usage: node render.js CACHE_DIR CHAT_DIR');
  process.exit(2);
}
const nm = path.join(cache, 'node_modules');
const { Template } = require(path.join(nm, '@huggingface/jinja'));

// strftime_now formats the current date: pin it to the date collm uses (DefaultChatDate,
// 2024-07-26 00:00), so that renderings are the same on every day.
const RealDate = Date;
const fixed = new RealDate(2024, 6, 26, 0, 0, 0).getTime();
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixed);
    else super(...args);
  }
  static now() {
    return fixed;
  }
};

function version(pkg) {
  return JSON.parse(fs.readFileSync(path.join(nm, pkg, 'package.json'), 'utf8')).version;
}

// The chat template of a tokenizer_config.json: a string, or the list entry named "default".
function chatTemplate(cfg) {
  const t = cfg.chat_template;
  if (typeof t === 'string') return t;
  const d = (t || []).find((x) => x.name === 'default');
  if (!d) throw new Error('no default chat template');
  return d.template;
}

// The special-token variables, as transformers' special_tokens_map has them: the attributes that
// are set (strings or added-token objects with "content") and additional_special_tokens.
function specials(cfg) {
  const out = {};
  const str = (v) => (typeof v === 'string' ? v : v && typeof v.content === 'string' ? v.content : null);
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const s = str(cfg[key]);
    if (s) out[key] = s;
  }
  const extra = (cfg.additional_special_tokens || []).map(str);
  if (extra.length > 0) out.additional_special_tokens = extra;
  return out;
}

const spec = JSON.parse(fs.readFileSync(path.join(chatDir, 'conversations.json'), 'utf8'));
const models = fs.readdirSync(chatDir)
  .filter((d) => fs.existsSync(path.join(chatDir, d, 'tokenizer_config.json')))
  .sort();
const renders = [];
for (const model of models) {
  const cfg = JSON.parse(fs.readFileSync(path.join(chatDir, model, 'tokenizer_config.json'), 'utf8'));
  const template = new Template(chatTemplate(cfg));
  for (const conv of spec.conversations) {
    const js = template.render({
      messages: conv.messages,
      add_generation_prompt: conv.add_generation_prompt,
      tools: null,
      documents: null,
      ...specials(cfg),
    });
    renders.push({ model, conversation: conv.name, js });
  }
}
// The reference engine implements %Y %m %d %b %B %H %M %% only: other formats get no "js".
const strftime = spec.strftime_formats.map((format) => {
  const entry = { format };
  if (!/%[^YmdbBHM%]/.test(format)) {
    entry.js = new Template('{{ strftime_now(f) }}').render({ f: format });
  }
  return entry;
});
const out = {
  generator: { '@huggingface/jinja': version('@huggingface/jinja'), node: process.version },
  date: '2024-07-26',
  renders,
  strftime,
};
fs.writeFileSync(path.join(chatDir, 'reference.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`render.js: ${renders.length} renderings of ${models.length} templates`);
