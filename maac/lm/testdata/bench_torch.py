#!/usr/bin/python3
"""PyTorch twin of maac/lm's BenchmarkModel: the same decoder (Llama, Mistral, Qwen2 or Qwen3:
RMSNorm, RoPE with default, linear or llama3 scaling, GQA, SwiGLU, tied or untied embeddings,
q/k/v biases, q/k norms), the same shapes and the same measurements, printed as one JSON line.

  decode_ms_per_token   KV-cache greedy decoding after a prompt: (t(N new) - t(1 new)) / (N-1),
                        the median over back-to-back pairs
  score_tokens_per_sec  forward + log_softmax + gather of a batch x seq batch
  train_step_lora_ms    the same forward + backward + AdamW step with only LoRA adapters trained
                        (rank r on --lora-targets, alpha 2r; embeddings, norms and base weights frozen)
  train_step_ms         forward + backward + AdamW step of every weight on the mean token NLL
  peak_rss_mb           VmHWM of /proc/self/status when done (the process's peak resident set)
  matmul_peak_gflops    torch's float32 matmul throughput on these threads, measured as maac/lm's
                        MeasureMatmulPeak does (4 chained [n,n]x[n,n] products, n = 1024 doubled
                        while a run takes under 20 ms, or --matmul-peak-size; the fastest of 5
                        runs, as other processes only slow runs down), the denominator of its MFU
                        (`collm bench` counts the FLOPs of the steps from the config, for both sides)

The model is a preset (--preset tiny|small) or any config.json (--config FILE, e.g. a checkpoint's
or one `collm bench --shape` writes): the weights are random of that shape, whose values do not
change the speed. An architecture or option the twin does not build ends it with exit code 2 and
one line "unsupported: ..." on stderr, which `collm bench` prints as the reason it skipped torch.

Use Debian's torch (apt-get install -y python3-torch libopenblas0-pthread; libblas.so.3 must
point to OpenBLAS, see update-alternatives --display libblas.so.3-x86_64-linux-gnu):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench_torch.py --preset tiny --threads 1
More threads than free cores makes torch spin and run many times slower on a shared machine.
`collm bench` runs it and prints the ratios.
"""
import argparse
import json
import math
import sys
import time

import torch

PRESETS = {
    "tiny": dict(vocab=260, d=128, layers=2, heads=4, kv=4, inter=384, seq=64),
    "small": dict(vocab=260, d=256, layers=4, heads=8, kv=4, inter=768, seq=128),
}
for _p in PRESETS.values():
    _p.update(head_dim=_p["d"] // _p["heads"], eps=1e-5, theta=10000.0, tie=True, qkv_bias=False,
              o_bias=False, qk_norm=False, rope_scaling=None)


def unsupported(msg):
    print("unsupported: " + msg, file=sys.stderr)
    sys.exit(2)


ARCHS = ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM")


def from_hf_config(path, longest):
    """The twin's model dict from a Hugging Face config.json (the subset maac/lm reads); longest is
    the longest sequence the benchmark runs, which a sliding window must not shorten."""
    with open(path) as f:
        h = json.load(f)
    archs = h.get("architectures") or []
    arch = archs[0] if len(archs) == 1 else repr(archs)
    if arch not in ARCHS:
        unsupported("architecture %s (the twin builds %s)" % (arch, ", ".join(ARCHS)))
    if h.get("hidden_act", "silu") != "silu":
        unsupported("hidden_act %r" % h["hidden_act"])
    if h.get("mlp_bias"):
        unsupported("mlp_bias")
    # A sliding window changes nothing while every sequence fits in it.
    window = None
    if arch == "MistralForCausalLM":
        window = h.get("sliding_window", 4096)
    elif arch != "LlamaForCausalLM" and h.get("use_sliding_window"):
        window = h.get("sliding_window")
    if window is not None and window < longest:
        unsupported("sliding_window %d shorter than the benchmark's %d tokens" % (window, longest))
    theta = h.get("rope_theta", 10000.0)
    rs = h.get("rope_scaling") or h.get("rope_parameters")
    if rs is not None:
        theta = rs.get("rope_theta", theta)
        kind = rs.get("rope_type", rs.get("type", "default"))
        if kind == "default":
            rs = None
        elif kind not in ("linear", "llama3"):
            unsupported("rope_type %r (the twin computes default, linear and llama3)" % kind)
    d, heads = h["hidden_size"], h["num_attention_heads"]
    bias = bool(h.get("attention_bias", False)) and arch != "MistralForCausalLM"
    return dict(vocab=h["vocab_size"], d=d, layers=h["num_hidden_layers"], heads=heads,
                kv=h.get("num_key_value_heads") or heads, head_dim=h.get("head_dim") or d // heads,
                inter=h["intermediate_size"], eps=h.get("rms_norm_eps", 1e-6), theta=theta,
                tie=bool(h.get("tie_word_embeddings", False)),
                qkv_bias=arch == "Qwen2ForCausalLM" or bias, o_bias=arch != "Qwen2ForCausalLM" and bias,
                qk_norm=arch == "Qwen3ForCausalLM", rope_scaling=rs)


def llama3_inv_freq(inv_freq, rs):
    """Llama 3's rope_scaling (transformers' _compute_llama3_parameters)."""
    factor, low, high = rs["factor"], rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
    old = rs["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > old / low, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= old / high) & (wavelen <= old / low)
    return torch.where(medium, smoothed, scaled)


class LoRALinear(torch.nn.Module):
    """A Linear with an optional adapter: y = base(x) + (alpha/r) * x A^T B^T (PEFT's layout)."""

    def __init__(self, d_in, d_out, bias):
        super().__init__()
        self.base = torch.nn.Linear(d_in, d_out, bias=bias)
        self.a = self.b = None

    def add_lora(self, r, alpha):
        self.a = torch.nn.Parameter(torch.empty(r, self.base.in_features).uniform_(-1, 1) / math.sqrt(self.base.in_features))
        self.b = torch.nn.Parameter(torch.zeros(self.base.out_features, r))
        self.scale = alpha / r

    def drop_lora(self):
        self.a = self.b = None

    def forward(self, x):
        y = self.base(x)
        if self.a is not None:
            y = y + (x @ self.a.T) @ self.b.T * self.scale
        return y


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, hd = c["d"], c["head_dim"]
        self.hd = hd
        self.embed = torch.nn.Parameter(torch.empty(c["vocab"], d).uniform_(-0.0346, 0.0346))
        self.lm_head = None if c["tie"] else torch.nn.Parameter(torch.empty(c["vocab"], d).uniform_(-0.0346, 0.0346))
        self.layers = torch.nn.ModuleList()
        for _ in range(c["layers"]):
            l = torch.nn.Module()
            l.ln1 = torch.nn.Parameter(torch.ones(d))
            l.q_proj = LoRALinear(d, c["heads"] * hd, c["qkv_bias"])
            l.k_proj = LoRALinear(d, c["kv"] * hd, c["qkv_bias"])
            l.v_proj = LoRALinear(d, c["kv"] * hd, c["qkv_bias"])
            l.o_proj = LoRALinear(c["heads"] * hd, d, c["o_bias"])
            if c["qk_norm"]:
                l.q_norm = torch.nn.Parameter(torch.ones(hd))
                l.k_norm = torch.nn.Parameter(torch.ones(hd))
            l.ln2 = torch.nn.Parameter(torch.ones(d))
            l.gate_proj = LoRALinear(d, c["inter"], False)
            l.up_proj = LoRALinear(d, c["inter"], False)
            l.down_proj = LoRALinear(c["inter"], d, False)
            self.layers.append(l)
        self.norm = torch.nn.Parameter(torch.ones(d))
        inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, hd, 2).double() / hd))
        rs = c["rope_scaling"]
        if rs is not None and rs.get("rope_type", rs.get("type")) == "llama3":
            inv_freq = llama3_inv_freq(inv_freq, rs)
        elif rs is not None:  # linear: positions divided by the factor
            inv_freq = inv_freq / rs["factor"]
        self.inv_freq = inv_freq.float()

    def rms(self, x, w):
        return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["eps"])

    def rope(self, x, pos):
        f = pos[:, None, :, None].float() * self.inv_freq
        emb = torch.cat((f, f), -1)
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * emb.cos() + torch.cat((-x2, x1), -1) * emb.sin()

    def forward(self, ids, pos, cache=None):
        c = self.c
        B, T = ids.shape
        h = self.embed[ids]
        new_cache = []
        for i, l in enumerate(self.layers):
            x = self.rms(h, l.ln1)
            q = l.q_proj(x).view(B, T, c["heads"], self.hd).transpose(1, 2)
            k = l.k_proj(x).view(B, T, c["kv"], self.hd).transpose(1, 2)
            v = l.v_proj(x).view(B, T, c["kv"], self.hd).transpose(1, 2)
            if c["qk_norm"]:
                q, k = self.rms(q, l.q_norm), self.rms(k, l.k_norm)
            q, k = self.rope(q, pos), self.rope(k, pos)
            if cache is not None:
                k = torch.cat((cache[i][0], k), 2)
                v = torch.cat((cache[i][1], v), 2)
            new_cache.append((k, v))
            rep = c["heads"] // c["kv"]
            k = k.repeat_interleave(rep, 1)
            v = v.repeat_interleave(rep, 1)
            s = (q @ k.transpose(2, 3)) / self.hd ** 0.5
            if cache is None:
                s = s.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), -1e9)
            a = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, -1)
            h = h + l.o_proj(a)
            x = self.rms(h, l.ln2)
            h = h + l.down_proj(torch.nn.functional.silu(l.gate_proj(x)) * l.up_proj(x))
        head = self.embed if self.lm_head is None else self.lm_head
        return self.rms(h, self.norm) @ head.T, new_cache


def median_ms(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    n = len(ts)
    return ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2  # as maac/lm's median


def matmul_peak(size=0, reps=5, chain=4):
    """torch's float32 matmul throughput in GFLOP/s and the size n it was measured at (size 0:
    from 1024, doubled while a run takes under 20 ms; else that size only)."""
    best, best_n = 0.0, 0
    n, last = (size, size) if size > 0 else (1024, 4096)
    while n <= last:
        x = torch.rand(n, n) * 2 - 1
        w = (torch.rand(n, n) * 2 - 1) * math.sqrt(3 / n)  # keeps |x @ w| near |x|

        def run():
            y = x
            for _ in range(chain):
                y = y @ w
            return float(y.sum())

        with torch.no_grad():
            run()  # warm-up
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                run()
                ts.append((time.perf_counter() - t0) * 1000)
        ts.sort()
        g = chain * 2 * n ** 3 / (ts[0] * 1e6)
        if g > best:
            best, best_n = g, n
        if ts[len(ts) // 2] >= 20:
            break
        n *= 2
    return best, best_n


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--config", help="a Hugging Face config.json: random weights of its shape (overrides --preset)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=0, help="score/train length (0: 64 tiny, 128 small, 32 with --config)")
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lora-rank", type=int, default=8, help="0: no LoRA step")
    ap.add_argument("--lora-targets", default="q_proj,v_proj")
    ap.add_argument("--no-full-train", action="store_true", help="skip the step of every weight")
    ap.add_argument("--matmul-peak-size", type=int, default=0,
                    help="n of the matmuls measuring the peak (0: 1024, doubled while a run takes under 20 ms)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.config:
        seq = a.seq or 32
        c, name = from_hf_config(a.config, max(seq, a.prompt + a.new_tokens)), a.config
    else:
        c, name, seq = PRESETS[a.preset], a.preset, a.seq or PRESETS[a.preset]["seq"]
    targets = [t for t in a.lora_targets.split(",") if t]
    for t in targets:
        if t not in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"):
            unsupported("LoRA target %r" % t)
    m = Model(c)
    B, T, P = a.batch, seq, a.prompt
    prompt = torch.randint(0, c["vocab"], (B, P))

    @torch.no_grad()
    def generate(n):
        pos = torch.arange(P)[None].expand(B, P)
        logits, cache = m(prompt, pos)
        tok = logits[:, -1].argmax(-1, keepdim=True)
        for step in range(n - 1):
            logits, cache = m(tok, torch.full((B, 1), P + step), cache)
            tok = logits[:, -1].argmax(-1, keepdim=True)

    # t(N) and t(1) back to back in pairs, the median difference (as maac/lm's bench).
    generate(a.new_tokens)
    generate(1)
    diffs = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        generate(a.new_tokens)
        t1 = time.perf_counter()
        generate(1)
        diffs.append(((t1 - t0) - (time.perf_counter() - t1)) * 1000)
    diffs.sort()
    n = len(diffs)
    decode_diff = diffs[n // 2] if n % 2 else (diffs[n // 2 - 1] + diffs[n // 2]) / 2
    ids = torch.randint(0, c["vocab"], (B, T))
    pos = torch.arange(T)[None].expand(B, T)

    def logp():
        logits, _ = m(ids, pos)
        lsm = torch.log_softmax(logits[:, :-1], -1)
        return lsm.gather(-1, ids[:, 1:, None]).squeeze(-1)

    with torch.no_grad():
        ts = median_ms(logp, a.reps)

    def train_ms(params):
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)

        def step():
            opt.zero_grad()
            loss = -logp().mean()
            loss.backward()
            opt.step()

        return median_ms(step, a.reps)

    out = {"model": name, "threads": a.threads, "torch": torch.__version__,
           "params": sum(p.numel() for p in m.parameters()),
           "decode_ms_per_token": decode_diff / (a.new_tokens - 1), "score_tokens_per_sec": B * T / (ts / 1000),
           "train_step_lora_ms": 0, "train_step_ms": 0}
    if a.lora_rank > 0 and targets:
        for p in m.parameters():
            p.requires_grad_(False)
        adapters = []
        for l in m.layers:
            for t in targets:
                getattr(l, t).add_lora(a.lora_rank, 2 * a.lora_rank)
                adapters += [getattr(l, t).a, getattr(l, t).b]
        out["train_step_lora_ms"] = train_ms(adapters)
        for l in m.layers:
            for t in targets:
                getattr(l, t).drop_lora()
        del adapters
        for p in m.parameters():
            p.requires_grad_(True)
    if not a.no_full_train:
        out["train_step_ms"] = train_ms(list(m.parameters()))
    out["peak_rss_mb"] = peak_rss_mb()  # before the matmul peak's 4096x4096 matrices, if it gets there
    out["matmul_peak_gflops"], out["matmul_peak_size"] = matmul_peak(a.matmul_peak_size)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
