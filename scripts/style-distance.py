#!/usr/bin/env python3
"""Palette-blind style distance: how much of the way from the content photo to the style image
a stylized picture has come, judged on texture alone.

For each image: luminance, standardized (zero mean, unit variance, so colour and contrast do
not count); at image scales 1/2, 1/4 and 1/8 (bicubic) the responses of 16 seeded zero-mean
random filters of sizes 3, 7 and 15, rectified; their Gram matrix G = R Rᵀ / N. The distance of
two images is the mean over (scale, size) of ‖G_a − G_b‖_F / ‖G_b‖_F. "Closed" is
1 − d(picture, style) / d(content, style): 0 % = as far from the style as the photo itself.

Usage: scripts/style-distance.py CONTENT STYLE PICTURE [PICTURE ...]   (needs numpy, scipy, Pillow:
`scripts/setup.sh reports` installs them)
"""
import sys
import numpy as np
from PIL import Image
from scipy.signal import fftconvolve

SIZE = 512

def luminance(path):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    f = SIZE / max(w, h)
    im = im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.BICUBIC)
    a = np.asarray(im, dtype=np.float64) / 255
    y = 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]
    return (y - y.mean()) / (y.std() + 1e-8)

FILTERS = {}
rng = np.random.default_rng(0)
for k in (3, 7, 15):
    f = rng.standard_normal((16, k, k))
    f -= f.mean(axis=(1, 2), keepdims=True)
    f /= np.sqrt((f ** 2).sum(axis=(1, 2), keepdims=True))
    FILTERS[k] = f

def grams(y):
    out = []
    for scale in (2, 4, 8):
        h, w = y.shape
        im = Image.fromarray(y.astype(np.float32), mode="F").resize((max(8, w // scale), max(8, h // scale)), Image.BICUBIC)
        z = np.asarray(im, dtype=np.float64)
        for k, fs in FILTERS.items():
            r = np.stack([np.maximum(fftconvolve(z, f, mode="valid"), 0).ravel() for f in fs])
            out.append(r @ r.T / r.shape[1])
    return out

def distance(a, b):
    return float(np.mean([np.linalg.norm(x - y) / np.linalg.norm(y) for x, y in zip(a, b)]))

content, style, *pictures = sys.argv[1:]
gc, gs = grams(luminance(content)), grams(luminance(style))
base = distance(gc, gs)
print(f"content→style distance {base:.3f}")
for p in pictures:
    d = distance(grams(luminance(p)), gs)
    print(f"{p}: distance {d:.3f}, closed {100 * (1 - d / base):.0f} %")
