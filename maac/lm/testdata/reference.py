#!/usr/bin/python3
"""Independent PyTorch reference for maac/lm: writes small random checkpoints and expected logits.

It re-implements, in plain torch (no transformers package), the decoder of Hugging Face's
LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM from their published
formulas: RMSNorm, rotate-half RoPE with rope_theta, grouped-query attention (repeat_kv), SwiGLU
MLP, q/k/v biases (Qwen2), per-head q_norm/k_norm before RoPE (Qwen3), explicit head_dim, tied or
untied lm_head. Padding follows HF: left padding, position_ids = cumsum(mask)-1 clamped at 0,
padded keys masked out.

RoPE variants follow transformers 5's modeling_rope_utils.py (the ROPE_INIT_FUNCTIONS): linear,
dynamic (NTK, with seq_len = max(longest position + 1, max_position_embeddings)), yarn and llama3;
yarn's attention factor multiplies cos and sin. transformers takes dynamic's seq_len over the whole
batch; here it is each row's own, i.e. what transformers gives the row run alone. Sliding windows
follow transformers' masks (sliding_window_overlay: key slot > query slot - window, on cache slots),
on every layer for Mistral and on the layers >= max_window_layers for Qwen2 with use_sliding_window.

The cases with a long sequence (40 tokens) exceed both the window (8) and the original context
(16); every fixture also holds per-token log-probs, log p(ids[t] | ids[:t]), 0 at t=0 and on pads.

Regenerate the fixtures (Debian: apt-get install -y python3-torch):
    cd maac/lm/testdata && /usr/bin/python3 reference.py   (Debian python, not a pyenv one)
The Go test (TestReferenceLogits) reads them and needs no torch.
"""
import json
import math
import os
import struct

import torch

torch.manual_seed(1234)

CASES = {
    # Llama, untied, GQA (4 query heads over 2 kv heads).
    "llama_untied_gqa": dict(arch="LlamaForCausalLM", model_type="llama", vocab=64, d=32, inter=48,
                             layers=2, heads=4, kv=2, head_dim=8, tie=False, attn_bias=False,
                             theta=10000.0, eps=1e-5, dtype="float32"),
    # Llama with attention_bias: biases on q, k, v and o; plain multi-head attention.
    "llama_attnbias_mha": dict(arch="LlamaForCausalLM", model_type="llama", vocab=64, d=24, inter=32,
                               layers=1, heads=3, kv=3, head_dim=8, tie=True, attn_bias=True,
                               theta=500000.0, eps=1e-5, dtype="float32"),
    # Qwen2: q/k/v biases, tied embeddings, MQA, weights stored in bfloat16.
    "qwen2_bias_tied_bf16": dict(arch="Qwen2ForCausalLM", model_type="qwen2", vocab=64, d=32, inter=40,
                                 layers=2, heads=4, kv=1, head_dim=8, tie=True, attn_bias=False,
                                 theta=1000000.0, eps=1e-6, dtype="bfloat16"),
    # Qwen3: q/k norm, explicit head_dim (16 != 32/4), GQA, untied.
    "qwen3_qknorm_headdim": dict(arch="Qwen3ForCausalLM", model_type="qwen3", vocab=64, d=32, inter=48,
                                 layers=2, heads=4, kv=2, head_dim=16, tie=False, attn_bias=False,
                                 theta=1000000.0, eps=1e-6, dtype="float32"),
}

# Longer than the windows and original contexts below; the second row is left-padded.
LLAMA, MISTRAL, QWEN2 = ("LlamaForCausalLM", "llama"), ("MistralForCausalLM", "mistral"), ("Qwen2ForCausalLM", "qwen2")


def long_case(arch, **kw):
    c = dict(arch=arch[0], model_type=arch[1], vocab=64, d=32, inter=48, layers=2, heads=4, kv=2, head_dim=8,
             tie=False, attn_bias=False, theta=10000.0, eps=1e-5, dtype="float32", max_pos=64, long=True)
    c.update(kw)
    return c


CASES.update({
    # Llama 3.2 layout: tied embeddings, GQA, llama3 RoPE. theta 100 and head_dim 16 put the 8
    # frequencies in all three llama3 bands (wavelength < 8 kept, 8..32 smoothed, > 32 divided).
    "llama3_rope_tied": long_case(LLAMA, heads=2, kv=1, head_dim=16, tie=True, theta=100.0, rope_scaling={
        "rope_type": "llama3", "factor": 4.0, "low_freq_factor": 0.5, "high_freq_factor": 2.0,
        "original_max_position_embeddings": 16}),
    # Linear scaling, with the older "type" key.
    "llama_linear": long_case(LLAMA, rope_scaling={"type": "linear", "factor": 2.5}),
    # Dynamic NTK: the base grows past max_position_embeddings (16), per row.
    "llama_dynamic": long_case(LLAMA, max_pos=16, rope_scaling={"rope_type": "dynamic", "factor": 3.0}),
    # YaRN as Qwen2.5 writes it (default betas and attention factor 0.1*ln(factor)+1).
    "qwen2_yarn": long_case(QWEN2, heads=2, kv=1, head_dim=16, tie=True, theta=50.0, eps=1e-6, rope_scaling={
        "type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    # YaRN in transformers 5's rope_parameters layout (rope_theta inside, none at the top level):
    # explicit betas, DeepSeek's mscale/mscale_all_dim attention factor, truncate false.
    "llama_yarn_params": long_case(LLAMA, d=32, heads=1, kv=1, head_dim=32, theta=200.0, rope_parameters={
        "rope_type": "yarn", "rope_theta": 200.0, "factor": 4.0, "original_max_position_embeddings": 16,
        "beta_fast": 8.0, "beta_slow": 0.5, "mscale": 1.0, "mscale_all_dim": 0.5, "truncate": False}),
    # Mistral: every layer attends within a window of 8.
    "mistral_window": long_case(MISTRAL, layers=2, window=8),
    # Qwen2 with use_sliding_window: layer 0 full, layers 1 and 2 (>= max_window_layers) windowed.
    "qwen2_window_layers": long_case(QWEN2, layers=3, heads=2, kv=1, head_dim=16, tie=True, theta=1000000.0, eps=1e-6,
                                     window=8, max_window_layers=1),
})

IDS = [[5, 17, 3, 60, 22, 9, 41], [0, 0, 12, 7, 33, 2, 63]]
MASK = [[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]]
_g = torch.Generator().manual_seed(99)
LONG_IDS = torch.randint(3, 64, (2, 40), generator=_g).tolist()
LONG_IDS[1][:6] = [0] * 6
LONG_MASK = [[1] * 40, [0] * 6 + [1] * 34]


def make_weights(c):
    d, hd, inter = c["d"], c["head_dim"], c["inter"]
    q, kv = c["heads"] * hd, c["kv"] * hd
    w = {}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape) * std

    def norm(n):
        return 1.0 + 0.1 * torch.randn(n)

    w["model.embed_tokens.weight"] = rnd(c["vocab"], d, std=0.5)
    for l in range(c["layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = norm(d)
        w[p + "self_attn.q_proj.weight"] = rnd(q, d)
        w[p + "self_attn.k_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.v_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.o_proj.weight"] = rnd(d, q)
        if c["model_type"] == "qwen2" or c["attn_bias"]:
            w[p + "self_attn.q_proj.bias"] = rnd(q, std=0.1)
            w[p + "self_attn.k_proj.bias"] = rnd(kv, std=0.1)
            w[p + "self_attn.v_proj.bias"] = rnd(kv, std=0.1)
        if c["model_type"] != "qwen2" and c["attn_bias"]:
            w[p + "self_attn.o_proj.bias"] = rnd(d, std=0.1)
        if c["model_type"] == "qwen3":
            w[p + "self_attn.q_norm.weight"] = norm(hd)
            w[p + "self_attn.k_norm.weight"] = norm(hd)
        w[p + "post_attention_layernorm.weight"] = norm(d)
        w[p + "mlp.gate_proj.weight"] = rnd(inter, d)
        w[p + "mlp.up_proj.weight"] = rnd(inter, d)
        w[p + "mlp.down_proj.weight"] = rnd(d, inter)
    w["model.norm.weight"] = norm(d)
    if not c["tie"]:
        w["lm_head.weight"] = rnd(c["vocab"], d)
    if c["dtype"] == "bfloat16":
        w = {k: v.to(torch.bfloat16).to(torch.float32) for k, v in w.items()}
    return w


def rms_norm(x, weight, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(c):
    """The rope_scaling / rope_parameters object of a case, or {} for plain RoPE."""
    return c.get("rope_scaling") or c.get("rope_parameters") or {}


def inv_freq_and_attention(c, seq_len):
    """transformers' ROPE_INIT_FUNCTIONS[rope_type](config, seq_len=seq_len), in float32 as there."""
    r, dim = rope(c), c["head_dim"]
    base = r.get("rope_theta", c["theta"])
    rope_type = r.get("rope_type", r.get("type", "default"))

    def default_inv_freq(b):
        return 1.0 / (b ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))

    if rope_type == "default":
        return default_inv_freq(base), 1.0
    factor = r["factor"]
    if rope_type == "linear":
        return default_inv_freq(base) / factor, 1.0
    if rope_type == "dynamic":
        max_pos = c["max_pos"]
        seq_len = torch.maximum(seq_len, torch.tensor(max_pos, dtype=seq_len.dtype))
        base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
        return default_inv_freq(base), 1.0
    if rope_type == "llama3":
        inv_freq = default_inv_freq(base)
        low, high = r["low_freq_factor"], r["high_freq_factor"]
        old_context_len = r["original_max_position_embeddings"]
        low_freq_wavelen, high_freq_wavelen = old_context_len / low, old_context_len / high
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth_factor = (old_context_len / wavelen - low) / (high - low)
        smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
        is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama), 1.0
    assert rope_type == "yarn", rope_type
    original = r.get("original_max_position_embeddings", c["max_pos"])
    mscale, mscale_all_dim = r.get("mscale"), r.get("mscale_all_dim")

    def get_mscale(scale, m=1):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    attention_factor = r.get("attention_factor")
    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)
    beta_fast, beta_slow = r.get("beta_fast") or 32, r.get("beta_slow") or 1

    def find_correction_dim(num_rotations):
        return (dim * math.log(original / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = find_correction_dim(beta_fast), find_correction_dim(beta_slow)
    if r.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
    inv_freq_extrapolation, inv_freq_interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp
    inv_freq = inv_freq_interpolation * (1 - extrapolation_factor) + inv_freq_extrapolation * extrapolation_factor
    return inv_freq, attention_factor


def layer_window(c, layer):
    """The sliding window of a layer, None for full attention."""
    if c["model_type"] == "mistral" or layer >= c.get("max_window_layers", 0):
        return c.get("window")
    return None


def forward(c, w, ids, mask):
    B, T = ids.shape
    H, KV, hd, eps = c["heads"], c["kv"], c["head_dim"], c["eps"]
    pos = (mask.long().cumsum(-1) - 1).clamp(min=0)
    cos, sin = [], []
    for b in range(B):  # per row: dynamic's seq_len is the row's own
        inv_freq, attention_factor = inv_freq_and_attention(c, pos[b].max() + 1)
        freqs = pos[b][:, None].float() * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos.append(emb.cos() * attention_factor)
        sin.append(emb.sin() * attention_factor)
    cos, sin = torch.stack(cos)[:, None], torch.stack(sin)[:, None]  # [B,1,T,hd]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    q_idx, kv_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
    full = causal[None, None] & mask.bool()[:, None, None, :]  # [B,1,T,S]

    def lin(x, name):
        y = x @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    h = w["model.embed_tokens.weight"][ids]
    for l in range(c["layers"]):
        p = f"model.layers.{l}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = lin(x, p + "self_attn.q_proj").view(B, T, H, hd)
        k = lin(x, p + "self_attn.k_proj").view(B, T, KV, hd)
        v = lin(x, p + "self_attn.v_proj").view(B, T, KV, hd)
        if c["model_type"] == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [B,heads,T,hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KV
        k = k[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
        v = v[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
        scores = (q @ k.transpose(2, 3)) / (hd ** 0.5)
        window = layer_window(c, l)
        allowed = full if window is None else full & (kv_idx > q_idx - window)[None, None]
        scores = scores.masked_fill(~allowed, -1e9)
        attn = torch.softmax(scores, dim=-1) @ v
        attn = attn.transpose(1, 2).reshape(B, T, H * hd)
        h = h + lin(attn, p + "self_attn.o_proj")
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = lin(x, p + "mlp.gate_proj")
        h = h + lin(torch.nn.functional.silu(gate) * lin(x, p + "mlp.up_proj"), p + "mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c["tie"] else w["lm_head.weight"]
    return h @ head.T


def write_safetensors(path, tensors, dtype):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if dtype == "bfloat16":
            data = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
            st_dtype = "BF16"
        else:
            data = t.to(torch.float32).numpy().tobytes()
            st_dtype = "F32"
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for ch in chunks:
            f.write(ch)


def token_logprobs(logits, ids, mask):
    """log p(ids[t] | ids[:t]) per token, 0 at t=0 and on pads."""
    lsm = torch.log_softmax(logits[:, :-1], dim=-1)
    picked = lsm.gather(-1, ids[:, 1:, None])[..., 0]
    return torch.cat([torch.zeros(ids.shape[0], 1), picked], dim=1) * mask


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, c in CASES.items():
        ids_list, mask_list = (LONG_IDS, LONG_MASK) if c.get("long") else (IDS, MASK)
        ids, mask = torch.tensor(ids_list), torch.tensor(mask_list)
        out = os.path.join(here, "ref", name)
        os.makedirs(out, exist_ok=True)
        w = make_weights(c)
        with torch.no_grad():
            logits = forward(c, w, ids, mask)
            logprobs = token_logprobs(logits, ids, mask)
        cfg = {
            "architectures": [c["arch"]], "model_type": c["model_type"], "vocab_size": c["vocab"],
            "hidden_size": c["d"], "intermediate_size": c["inter"], "num_hidden_layers": c["layers"],
            "num_attention_heads": c["heads"], "num_key_value_heads": c["kv"], "head_dim": c["head_dim"],
            "rms_norm_eps": c["eps"], "rope_theta": c["theta"], "tie_word_embeddings": c["tie"],
            "attention_bias": c["attn_bias"], "max_position_embeddings": c.get("max_pos", 128),
            "torch_dtype": c["dtype"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
            "rope_scaling": c.get("rope_scaling"),
        }
        if "rope_parameters" in c:
            cfg["rope_parameters"] = c["rope_parameters"]
            del cfg["rope_theta"]
        if c["model_type"] == "mistral":
            cfg["sliding_window"] = c.get("window")
        if c["model_type"] == "qwen2" and "window" in c:
            cfg.update(use_sliding_window=True, sliding_window=c["window"], max_window_layers=c["max_window_layers"])
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(out, "model.safetensors"), w, c["dtype"])
        with open(os.path.join(out, "expected.json"), "w") as f:
            json.dump({"ids": ids_list, "mask": mask_list,
                       "logits": [[[round(float(x), 6) for x in row] for row in seq] for seq in logits],
                       "logprobs": [[round(float(x), 7) for x in seq] for seq in logprobs]}, f)
        print(name, tuple(logits.shape), "ok")


if __name__ == "__main__":
    main()
