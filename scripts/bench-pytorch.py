#!/usr/bin/env python3
"""PyTorch reference of the loss `neural-art bench` times, and a timing harness.

The loss is the one `StylizeBenchmark.run` builds (Sources/NeuralArt/StylizeBenchmark.swift):
a `size × size` image (no wrap margin: the bench uses none), content and style uniform noise
from `SeededGenerator(seed: 2)`, `StylizationProblem.pyramidLevels(size, size)` pyramid levels
(2 at 64 px, 3 at 128, 4 at 256) and the default weights (content 1, style 10, tv 5, sliced 10):

  f = w_c·‖F₃(θ) − F₃(c)‖²/‖F₃(c)‖²
    + w_s ·(1/4L)·Σ_l Σ_s ‖G_s(Dˡθ) − G_{l,s}(S)‖²_F / ‖G_{l,s}(S)‖²_F
    + w_sw·(1/4L)·Σ_l Σ_s Σ_m Σ_i (sort(V_sᵀF_s(Dˡθ))_{m,i} − T_{l,s,m,i})² / (N·mean(Q²))
    + w_tv·tv(θ)

with RandVGG-S (3→32→64→128→256, 3×3 circular convs + ReLU, 3×3 tent pooling stride 2,
input 2θ − 1, 16 luminance maps in s1, zero-mean s1 filters), G = F·Fᵀ/N, D the antialiased
bicubic halving (8 taps, periodic), 16 sliced projections per stage and the style's quantile
functions stored at 2048 points and resampled linearly to N points. The network weights, the
projection directions and the noise images are drawn with a port of the project's
`SeededGenerator` (xoshiro256** + SplitMix64 + Box–Muller), so the loss is the same function
as Swift's, not only the same structure (`--check` prints its terms for comparison).

Timed, as in `neural-art bench`: the network forward (no autograd), the loss forward and
backward to the pixels (autograd), and a full ADAM step (zero grad, loss·scale, backward,
`torch.optim.Adam(lr=0.02)` step, clamp to [0, 1]; the scale is (H·W/4096)/f(content) as in
`StyleProblem`). Medians of `--repeats` runs after 2 warm-up runs, for every `--threads`
(`torch.set_num_threads`; inter-op threads 1).

With `--swift PATH`, runs `PATH bench --skip-meta --threads T` alternately with its own
measurements for `--rounds` rounds (both see the same machine load) and reports the
Swift/PyTorch time ratios per round and their medians.

On a machine with other load, run it with OMP_WAIT_POLICY=PASSIVE: PyTorch's GNU OpenMP threads
otherwise spin at every barrier and its multi-threaded runs slow down several-fold
(docs/BENCH-PYTORCH.md).

Usage:
  OMP_WAIT_POLICY=PASSIVE python3 scripts/bench-pytorch.py [--sizes 64 128 256] [--threads 1 2]
      [--repeats 9] [--json FILE] [--flops] [--check] [--profile]
      [--swift .build/release/neural-art --rounds 3]
  (needs torch and numpy)
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

MASK = (1 << 64) - 1
CHANNELS = [3, 32, 64, 128, 256]
DEFAULT_SEED = 0x4E415254      # RandVGGS.defaultSeed, "NART"
DIRECTION_SEED = 0x534C4943    # StyleTargets.directionSeed, "SLIC"
LUMINANCE_MAPS = 16            # RandVGGS.defaultLuminanceMaps
MAX_PROJECTIONS = 16           # StyleTargets.maximumProjections
QUANTILES = 2048               # StyleTargets.quantileCount
WEIGHTS = dict(content=1.0, style=10.0, tv=5.0, sliced=10.0)   # LossWeights.default
CONTENT_STAGE = 2
MINIMUM_SIDE = 8
LEARNING_RATE = 0.02           # the bench's Adam(learningRate: 0.02)
DOWNSAMPLE_TAPS = [-0.01171875, -0.03515625, 0.11328125, 0.43359375,
                   0.43359375, 0.11328125, -0.03515625, -0.01171875]


# ---------------------------------------------------------------------------------------------
# Sources/Numerics/SeededGenerator.swift

class SeededGenerator:
    """xoshiro256** seeded through SplitMix64; normals by Box–Muller with the pair cached."""

    def __init__(self, seed):
        sm = seed & MASK
        state = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & MASK
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state
        self.spare = None

    def next(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & MASK
        result = ((((x << 7) | (x >> 57)) & MASK) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.s = [s0, s1, s2, s3]
        return result

    def fork(self, stream):
        s0, s3 = self.s[0], self.s[3]
        return SeededGenerator(((s0 ^ ((s3 * 0x2545F4914F6CDD1D) & MASK)) + stream * 0x9E3779B97F4A7C15) & MASK)

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        u1 = self.uniform()
        while u1 <= 0:
            u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2 * math.log(u1))
        self.spare = r * math.sin(2 * math.pi * u2)
        return r * math.cos(2 * math.pi * u2)

    def fill_normal(self, count, std=np.float32(1)):
        z = np.array([self.normal() for _ in range(count)], dtype=np.float64).astype(np.float32)
        return np.float32(std) * z

    def fill_uniform(self, count):
        return np.array([self.uniform() for _ in range(count)], dtype=np.float64).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Sources/NeuralArt/RandVGGS.swift, StyleTargets.makeDirections

def randvggs_weights(seed=DEFAULT_SEED, luminance_maps=LUMINANCE_MAPS):
    """The four conv weights `[C_out, C_in, 3, 3]` exactly as `RandVGGS.init` draws them."""
    rng = SeededGenerator(seed)
    weights = []
    for s in range(4):
        cin, cout = CHANNELS[s], CHANNELS[s + 1]
        std = np.sqrt(np.float32(2) / np.float32(9 * cin), dtype=np.float32)
        w = rng.fill_normal(cout * cin * 9, std).reshape(cout, cin * 9)
        if s == 0:
            for o in range(luminance_maps):
                w[o, 9:18] = w[o, 0:9]
                w[o, 18:27] = w[o, 0:9]
            for o in range(cout):
                mean = np.float32(0)
                for v in w[o]:
                    mean = np.float32(mean + v)
                mean = np.float32(mean / np.float32(9 * cin))
                w[o] = w[o] - mean
        weights.append(torch.from_numpy(w.reshape(cout, cin, 3, 3).copy()))
    return weights


def projection_directions(channels, stage):
    """`StyleTargets.makeDirections`: seeded unit columns, `[channels, min(channels, 16)]`."""
    rng = SeededGenerator(DIRECTION_SEED).fork(stage)
    p = min(channels, MAX_PROJECTIONS)
    v = rng.fill_normal(channels * p).reshape(channels, p)
    for m in range(p):
        n = np.float32(0)
        for c in range(channels):
            n = np.float32(n + np.float32(v[c, m] * v[c, m]))
        k = np.float32(1) / max(np.sqrt(n, dtype=np.float32), np.float32(1e-12))
        v[:, m] = v[:, m] * k
    return torch.from_numpy(v.copy())


def resample_quantiles(sorted_rows, q):
    """`SlicedWasserstein.resampleQuantiles` on every row of `sorted_rows` (`[M, n]`, float32)."""
    n = sorted_rows.shape[1]
    if n == q:
        return sorted_rows.copy()
    i = np.arange(q, dtype=np.float64)
    r = np.clip((i + 0.5) * (n / q) - 0.5, 0, n - 1)
    lo = r.astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    f = (r - lo).astype(np.float32)
    return sorted_rows[:, lo] + f * (sorted_rows[:, hi] - sorted_rows[:, lo])


# ---------------------------------------------------------------------------------------------
# The network and the pyramid (Conv3x3 circular, TentPool circular, Downsample2x periodic)

class RandVGGS:
    def __init__(self, weights, pool="conv"):
        self.weights = weights
        self.biases = [torch.zeros(w.shape[0]) for w in weights]
        self.pool = pool
        self.tent = {c: (torch.tensor([0.25, 0.5, 0.25])[:, None] * torch.tensor([0.25, 0.5, 0.25])[None, :])
                     .expand(c, 1, 3, 3).contiguous() for c in CHANNELS[1:4]}

    def tent_pool(self, x):
        """3×3 tent filter (¼, ½, ¼)², stride 2, wrapping: out ⌈H/2⌉ × ⌈W/2⌉."""
        c = x.shape[1]
        xp = F.pad(x, (1, 1, 1, 1), mode="circular")
        if self.pool == "conv":
            return F.conv2d(xp, self.tent[c], stride=2, groups=c)
        oh, ow = (x.shape[2] + 1) // 2, (x.shape[3] + 1) // 2
        col = 0.25 * (xp[:, :, 0:2 * oh:2] + xp[:, :, 2:2 * oh + 2:2]) + 0.5 * xp[:, :, 1:2 * oh + 1:2]
        return 0.25 * (col[..., 0:2 * ow:2] + col[..., 2:2 * ow + 2:2]) + 0.5 * col[..., 1:2 * ow + 1:2]

    def forward(self, pixels):
        """Post-ReLU activations of s1 … s4 for pixels `[1, 3, H, W]` in [0, 1]."""
        x = 2 * pixels - 1
        acts = []
        for s in range(4):
            if s > 0:
                x = self.tent_pool(x)
            x = F.relu(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), self.weights[s], self.biases[s]))
            acts.append(x)
        return acts

    def forward_flops(self, h, w):
        """`RandVGGS.forwardFlops`: the convolutions' multiply-adds ×2."""
        total = 0.0
        for s in range(4):
            if s > 0:
                h, w = (h + 1) // 2, (w + 1) // 2
            total += 2 * CHANNELS[s + 1] * 9 * CHANNELS[s] * h * w
        return total


_DOWN_H = torch.tensor(DOWNSAMPLE_TAPS).view(1, 1, 1, 8).expand(3, 1, 1, 8).contiguous()
_DOWN_V = torch.tensor(DOWNSAMPLE_TAPS).view(1, 1, 8, 1).expand(3, 1, 8, 1).contiguous()


def downsample2x(x):
    """`Downsample2x.forward(periodic: true)`: out i = Σ_k t_k·in[(2i − 3 + k) mod n] along each
    axis (horizontal pass, then vertical), `[1, 3, H/2, W/2]`."""
    h, w = x.shape[2], x.shape[3]
    y = F.conv2d(F.pad(x, (3, 4, 0, 0), mode="circular"), _DOWN_H, stride=(1, 2), groups=3)[..., : w // 2]
    return F.conv2d(F.pad(y, (0, 0, 3, 4), mode="circular"), _DOWN_V, stride=(2, 1), groups=3)[:, :, : h // 2]


class SymmetricGram(torch.autograd.Function):
    """G = F·Fᵀ/N with the adjoint 2·sym(∂G)·F/N (one product backward, as the Swift code)."""

    @staticmethod
    def forward(ctx, f):
        ctx.save_for_backward(f)
        return f @ f.t() / f.shape[1]

    @staticmethod
    def backward(ctx, grad):
        (f,) = ctx.saved_tensors
        return (grad + grad.t()) @ f / f.shape[1]


def pyramid_levels(h, w, coarsest=32, maximum=6):
    """`StylizationProblem.pyramidLevels`."""
    side, levels = min(h, w), 1
    while levels < maximum and side // 2 >= max(coarsest, MINIMUM_SIDE):
        side //= 2
        levels += 1
    return levels


# ---------------------------------------------------------------------------------------------
# StyleTargets and StylizationProblem

class Problem:
    def __init__(self, net, content, style, levels, weights=WEIGHTS, gram="autograd"):
        self.net, self.weights, self.levels = net, weights, levels
        self.gram = (lambda f: SymmetricGram.apply(f)) if gram == "symmetric" else (lambda f: f @ f.t() / f.shape[1])
        self.h, self.w = content.shape[2], content.shape[3]
        self.directions = [projection_directions(CHANNELS[s + 1], s) for s in range(4)]
        self.directions_t = [v.t().contiguous() for v in self.directions]
        # Targets (StyleTargets.init): Grams and quantile functions of the style's pyramid.
        self.target_grams, self.gram_norms, self.quantiles, self.quantile_means = [], [], [], []
        with torch.no_grad():
            image = style
            for level in range(levels):
                acts = net.forward(image)
                grams, norms, quants, means = [], [], [], []
                for s, a in enumerate(acts):
                    f = a.reshape(a.shape[1], -1)
                    g = f @ f.t() / f.shape[1]
                    grams.append(g)
                    norms.append(max(float((g.double() ** 2).sum()), 1e-30))
                    p = torch.sort(self.directions_t[s] @ f, dim=1).values.numpy()
                    q = resample_quantiles(p, QUANTILES)
                    quants.append(q)
                    means.append(max(float((q.astype(np.float64) ** 2).sum()) / QUANTILES, 1e-30))
                self.target_grams.append(grams)
                self.gram_norms.append(norms)
                self.quantiles.append(quants)
                self.quantile_means.append(means)
                if level + 1 < levels and min(image.shape[2], image.shape[3]) // 2 >= MINIMUM_SIDE:
                    image = downsample2x(image)
            # The quantile functions resampled to each level's positions (constant per problem:
            # Swift resamples them inside every evaluation, M·N interpolations per stage).
            self.resampled = []
            h, w = self.h, self.w
            for level in range(levels):
                sizes = [(h, w)]
                for _ in range(3):
                    sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
                self.resampled.append([torch.from_numpy(resample_quantiles(self.quantiles[level][s], hs * ws))
                                       for s, (hs, ws) in enumerate(sizes)])
                h, w = h // 2, w // 2
            self.content_features = net.forward(content)[CONTENT_STAGE]
            self.content_norm = max(float((self.content_features.double() ** 2).sum()), 1e-30)

    def terms(self, theta):
        """The loss terms at `theta` (`[1, 3, H, W]`): total (weighted) and the unweighted parts."""
        wt, L = self.weights, self.levels
        images = [theta]
        for _ in range(1, L):
            images.append(downsample2x(images[-1]))
        style = theta.new_zeros(())
        sliced = theta.new_zeros(())
        content = None
        for l, image in enumerate(images):
            acts = self.net.forward(image)
            for s, a in enumerate(acts):
                f = a.reshape(a.shape[1], -1)
                n = f.shape[1]
                style = style + ((self.gram(f) - self.target_grams[l][s]) ** 2).sum() / self.gram_norms[l][s]
                if wt["sliced"] != 0:
                    p = torch.sort(self.directions_t[s] @ f, dim=1).values
                    sliced = sliced + ((p - self.resampled[l][s]) ** 2).sum() / (n * self.quantile_means[l][s])
            if l == 0:
                content = ((acts[CONTENT_STAGE] - self.content_features) ** 2).sum() / self.content_norm
        style = style / (4 * L)
        sliced = sliced / (4 * L)
        dh = theta[..., :, 1:] - theta[..., :, :-1]
        dv = theta[..., 1:, :] - theta[..., :-1, :]
        tv = ((dh ** 2).sum() + (dv ** 2).sum()) / (dh.numel() + dv.numel())
        total = wt["content"] * content + wt["style"] * style + wt["tv"] * tv + wt["sliced"] * sliced
        return dict(total=total, content=content, style=style, tv=tv, sliced=sliced)

    def loss(self, theta):
        return self.terms(theta)["total"]

    def swift_loss_flops(self):
        """`StylizationProblem.flopsPerEvaluation`: per level 2× the convs' forward FLOPs (forward and
        input gradient) + 3·Σ_s C_s²·N_s (Gram forward as a triangle, adjoint as one GEMM)."""
        total, h, w = 0.0, self.h, self.w
        for _ in range(self.levels):
            gram, hs, ws = 0.0, h, w
            for s in range(4):
                if s > 0:
                    hs, ws = (hs + 1) // 2, (ws + 1) // 2
                gram += 3 * CHANNELS[s + 1] ** 2 * hs * ws
            total += 2 * self.net.forward_flops(h, w) + gram
            h, w = h // 2, w // 2
        return total


def bench_problem(size, gram="autograd", pool="conv", net=None):
    """The problem `StylizeBenchmark.run(size:)` builds, and its content image."""
    net = net or RandVGGS(randvggs_weights(), pool=pool)
    rng = SeededGenerator(2)
    content = torch.from_numpy(rng.fill_uniform(3 * size * size)).view(1, 3, size, size)
    style = torch.from_numpy(rng.fill_uniform(3 * size * size)).view(1, 3, size, size)
    return Problem(net, content, style, pyramid_levels(size, size), gram=gram), content


# ---------------------------------------------------------------------------------------------
# Timing

def median_seconds(body, repeats, warmup=2):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_size(problem, content, repeats):
    """Medians in ms of the network forward, the loss forward+backward and one ADAM step."""
    net = problem.net
    with torch.no_grad():
        forward = median_seconds(lambda: net.forward(content), repeats)

    theta = content.clone().requires_grad_(True)

    def loss_fb():
        theta.grad = None
        problem.loss(theta).backward()

    loss_fb_s = median_seconds(loss_fb, repeats)

    # ADAM as StyleProblem.run: the optimizer sees lossScale·∇f, θ ← clamp(θ + Δ, 0, 1).
    with torch.no_grad():
        scale = size_of(content) / 4096 / max(float(problem.loss(content)), 1e-6)
    pixels = content.clone().requires_grad_(True)
    adam = torch.optim.Adam([pixels], lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)

    def adam_step():
        adam.zero_grad(set_to_none=True)
        f = problem.loss(pixels)
        (f * scale).backward()
        if not math.isfinite(f.item()):
            raise RuntimeError("loss became non-finite")
        adam.step()
        with torch.no_grad():
            pixels.clamp_(0, 1)

    adam_s = median_seconds(adam_step, repeats)
    return dict(net_forward_ms=forward * 1e3, loss_forward_backward_ms=loss_fb_s * 1e3, adam_step_ms=adam_s * 1e3)


def size_of(t):
    return t.shape[2] * t.shape[3]


def count_flops(problem, content):
    """FLOPs PyTorch executes for one loss forward+backward (torch.utils.flop_counter), by op."""
    from torch.utils.flop_counter import FlopCounterMode
    theta = content.clone().requires_grad_(True)
    with FlopCounterMode(display=False) as counter:
        problem.loss(theta).backward()
    by_op = {}
    for op, n in counter.get_flop_counts().get("Global", {}).items():
        by_op[str(op)] = by_op.get(str(op), 0) + n
    return by_op


def check_terms(problem, content):
    """The loss terms and gradient statistics at the content image and at 0.7·content + 0.3·style
    (the points and numbers of the Swift cross-check in docs/BENCH-PYTORCH.md)."""
    rng = SeededGenerator(2)
    n = content.numel()
    rng.fill_uniform(n)
    style = torch.from_numpy(rng.fill_uniform(n)).view_as(content)
    mix = torch.from_numpy(np.float32(0.7) * content.numpy() + np.float32(0.3) * style.numpy())
    out = {}
    for name, point in [("content", content), ("mix", mix)]:
        theta = point.clone().requires_grad_(True)
        terms = problem.terms(theta)
        terms["total"].backward()
        g = theta.grad.reshape(-1).double()
        out[name] = {k: float(v.detach()) for k, v in terms.items()}
        out[name].update(grad_sum=float(g.sum()), grad_norm=float(g.norm()), g0=float(g[0]), g1000=float(g[1000]))
    return out


def profile_loss(problem, content, runs=5, top=12):
    """(operator, self CPU ms per loss forward+backward, share) of the `top` costliest operators."""
    from torch.profiler import ProfilerActivity, profile
    theta = content.clone().requires_grad_(True)

    def once():
        theta.grad = None
        problem.loss(theta).backward()

    for _ in range(2):
        once()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(runs):
            once()
    events = [(e.key, e.self_cpu_time_total / 1e3 / runs) for e in prof.key_averages()]
    total = sum(ms for _, ms in events)
    events.sort(key=lambda e: -e[1])
    return [(name, ms, ms / total) for name, ms in events[:top]] + [("(all)", total, 1.0)]


def load_average():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return list(os.getloadavg())


def run_swift(binary, sizes, threads, repeats):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        subprocess.run([binary, "bench", "--skip-meta", "--quiet", "--sizes", *map(str, sizes),
                        "--repeats", str(repeats), "--threads", str(threads), "--json", path],
                       check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per measurement (median)")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--gram", choices=["autograd", "symmetric"], default="autograd",
                        help="Gram backward: plain autograd of F·Fᵀ (2 products) or a symmetric "
                             "custom adjoint (1 product, as Swift)")
    parser.add_argument("--pool", choices=["conv", "slices"], default="conv",
                        help="tent pooling as a depthwise strided conv or as strided slices")
    parser.add_argument("--flops", action="store_true", help="count PyTorch's FLOPs per size")
    parser.add_argument("--check", action="store_true",
                        help="print the weights' checksums and the loss terms and gradient at the content "
                             "image and at 0.7·content + 0.3·style (for a comparison with Swift)")
    parser.add_argument("--profile", action="store_true",
                        help="print torch.profiler's top operators of the loss forward+backward per size and thread count")
    parser.add_argument("--swift", help="neural-art binary: time its bench alternately with PyTorch's")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds with --swift")
    args = parser.parse_args()

    torch.set_num_interop_threads(1)
    torch.set_grad_enabled(True)
    print(f"torch {torch.__version__}, {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}, "
          f"{os.cpu_count()} CPUs, load average {load_average()}", flush=True)
    net = RandVGGS(randvggs_weights(), pool=args.pool)
    if args.check:
        for s, w in enumerate(net.weights):
            w64 = w.double()
            print(f"conv{s} sum {float(w64.sum()):.10g} sumsq {float((w64 ** 2).sum()):.10g} "
                  f"first {float(w.reshape(-1)[0]):.8g} last {float(w.reshape(-1)[-1]):.8g}")
        for s in range(4):
            v = projection_directions(CHANNELS[s + 1], s)
            print(f"directions{s} sum {float(v.double().sum()):.10g} first {float(v.reshape(-1)[0]):.8g}")
    problems = {size: bench_problem(size, gram=args.gram, net=net) for size in args.sizes}
    result = dict(torch_version=torch.__version__, gram=args.gram, pool=args.pool, repeats=args.repeats,
                  sizes={}, rounds=[])

    for size, (problem, content) in problems.items():
        entry = dict(levels=problem.levels, swift_loss_gflop=problem.swift_loss_flops() * 1e-9)
        if args.flops:
            by_op = count_flops(problem, content)
            entry["torch_gflop_by_op"] = {k: v * 1e-9 for k, v in by_op.items()}
            entry["torch_gflop"] = sum(by_op.values()) * 1e-9
        if args.check:
            entry["check"] = check_terms(problem, content)
        result["sizes"][str(size)] = entry
        line = f"{size:4d} px: {problem.levels} levels, Swift's loss_gflop formula {entry['swift_loss_gflop']:.4f}"
        if args.flops:
            line += f", PyTorch counted {entry['torch_gflop']:.4f} GFLOP (" + ", ".join(
                f"{k.split('.')[-1]} {v:.4f}" for k, v in sorted(entry["torch_gflop_by_op"].items())) + ")"
        print(line, flush=True)
        if args.check:
            for point, c in entry["check"].items():
                print(f"       at {point}: " + ", ".join(f"{k} {v:.7g}" for k, v in c.items()), flush=True)

    if args.profile:
        for threads in args.threads:
            torch.set_num_threads(threads)
            for size, (problem, content) in problems.items():
                print(f"profile: {size} px, {threads} thread(s), self CPU time per loss forward+backward")
                for name, ms, share in profile_loss(problem, content):
                    print(f"  {name:42s} {ms:8.2f} ms {100 * share:5.1f} %")

    rounds = max(args.rounds, 1) if args.swift else 1
    for r in range(rounds):
        record = dict(round=r + 1, torch={}, swift={}, load_average=[])
        for threads in args.threads:
            if args.swift:
                record["load_average"].append(load_average())
                sw = run_swift(args.swift, args.sizes, threads, args.repeats)
                record["swift"][str(threads)] = dict(sw["sizes"], gemm_peak_gflops=sw["gemm_peak_gflops"])
            record["load_average"].append(load_average())
            torch.set_num_threads(threads)
            record["torch"][str(threads)] = {str(size): time_size(p, c, args.repeats) for size, (p, c) in problems.items()}
        result["rounds"].append(record)
        print(f"round {r + 1} (load average {record['load_average'][0][0]:.2f} … {record['load_average'][-1][0]:.2f})")
        print(" size thr | PyTorch fwd   loss f+b   ADAM step |  Swift fwd   loss f+b   ADAM step | ADAM Swift/PyTorch")
        for threads in args.threads:
            for size in args.sizes:
                t = record["torch"][str(threads)][str(size)]
                line = (f"{size:5d} {threads:3d} | {t['net_forward_ms']:9.2f} {t['loss_forward_backward_ms']:10.2f} "
                        f"{t['adam_step_ms']:11.2f} |")
                if args.swift:
                    s = record["swift"][str(threads)][str(size)]
                    line += (f" {s['net_forward_ms']:9.2f} {s['loss_forward_backward_ms']:10.2f} "
                             f"{s['adam_step_ms']:11.2f} | {s['adam_step_ms'] / t['adam_step_ms']:8.3f}")
                print(line, flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1, sort_keys=True)

    if args.swift and rounds > 1:
        print("medians over rounds (ms) and Swift/PyTorch ratios")
        print(" size thr | PyTorch fwd  loss f+b  ADAM |  Swift fwd  loss f+b  ADAM | ratio fwd  f+b  ADAM")
        summary = {}
        for threads in args.threads:
            for size in args.sizes:
                def med(side, key):
                    return statistics.median(rd[side][str(threads)][str(size)][key] for rd in result["rounds"])
                keys = ["net_forward_ms", "loss_forward_backward_ms", "adam_step_ms"]
                t = [med("torch", k) for k in keys]
                s = [med("swift", k) for k in keys]
                ratios = [statistics.median(rd["swift"][str(threads)][str(size)][k] / rd["torch"][str(threads)][str(size)][k]
                                            for rd in result["rounds"]) for k in keys]
                summary[f"{size}/{threads}"] = dict(torch_ms=t, swift_ms=s, swift_over_torch=ratios)
                print(f"{size:5d} {threads:3d} | {t[0]:8.2f} {t[1]:9.2f} {t[2]:8.2f} | {s[0]:8.2f} {s[1]:9.2f} {s[2]:8.2f} | "
                      f"{ratios[0]:6.3f} {ratios[1]:6.3f} {ratios[2]:6.3f}")
        result["summary"] = summary
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
