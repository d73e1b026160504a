#!/usr/bin/python3
"""Exports torchvision classifiers with random weights as ONNX reference models.

For each model NAME it writes, into the output folder (default build/models,
outside git): NAME.onnx, NAME.input.npy (a fixed 1x3xHxW input) and
NAME.output.npy (PyTorch's output for that input).

Random initialisation alone gives weak references (outputs of 1e-12 on top of
a bias, or 1e8), so BatchNorm statistics are re-estimated on a few batches of
random images first: BN layers in train mode, forward passes under no_grad,
then eval. Activations then stay of order one and the outputs carry signal.

Deep random residual nets also amplify float32 rounding chaotically: on
ResNet-152 PyTorch's own float32 output differs from its float64 output by
3.9e-4 (relative), so no float32 engine could meet a 1e-4 tolerance. Trained
ResNets are better conditioned; halving the scale of each residual branch's
last BatchNorm (in the spirit of SkipInit/Fixup initialisations) brings that
gap to 1.4e-6 while the outputs keep their signal.

ConvNeXt initialises its layer scale to 1e-6, so with random weights every
block is the identity to within 1e-6 and the output checks nothing of the
blocks; the scales are redrawn uniform in [0.1, 0.3] (set_layer_scales) so each
block's LayerNorm, GELU and 1x1 convs carry into the output. convnext_mini is a
2-stage ConvNeXt (16 and 32 channels, 2 blocks each, 10 classes, 64x64 input)
with the same graph, small enough for ctest.

Run with Debian's Python (/usr/bin/python3), which has torch and torchvision.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

ZOO = ["vgg19", "densenet121", "resnet152", "resnet50", "resnet18", "mobilenet_v2",
       "squeezenet1_1"]
# Segmentation models (torchvision.models.segmentation): random weights, no pretrained
# backbone, the raw "out" map (1 x 21 x H x W) as the output. Their heads upsample with
# bilinear Resize (half_pixel), which is what they exist to test.
SEGMENTATION = ["fcn_resnet50", "lraspp_mobilenet_v3_large"]
# Constructor keyword arguments that differ from torchvision's defaults.
EXTRA_KWARGS = {
    "googlenet": {"aux_logits": False, "transform_input": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "transform_input": False, "init_weights": True},
}
# Models whose architecture needs another input size than 224x224.
INPUT_SIZE = {"inception_v3": 299, "convnext_mini": 64, "vit_tiny": 32}
# Vision transformers (torchvision, random weights); vit_tiny is a 2-block ViT (dim 64,
# 2 heads, 32x32 input, patch 8) for CI.
TRANSFORMERS = ["vit_b_16", "swin_t", "vit_tiny"]
# Opsets other than 13 (the --opset default): the transformer-era models as issue 15 exports them
# (attention exports from opset 14 on).
OPSET = {"convnext_tiny": 14, "convnext_mini": 14, "vit_b_16": 14, "swin_t": 14, "vit_tiny": 14}


class MainOutput(torch.nn.Module):
    """A segmentation model's "out" tensor alone (torchvision returns a dict)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def convnext_mini():
    """A 2-stage ConvNeXt with ConvNeXt-Tiny's blocks and layers, for tests."""
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    stages = [CNBlockConfig(16, 32, 2), CNBlockConfig(32, None, 2)]
    return ConvNeXt(stages, stochastic_depth_prob=0.0, num_classes=10)


def vit_tiny():
    """torchvision's VisionTransformer at test size: 2 blocks, dim 64, 2 heads, MLP 128,
    32x32 input in 8x8 patches (16 tokens + the class token), 10 classes."""
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                             hidden_dim=64, mlp_dim=128, num_classes=10)


def set_layer_scales(model, seed, lo=0.1, hi=0.3):
    """Redraws ConvNeXt's per-channel layer scales (init 1e-6) uniform in [lo, hi)."""
    gen = torch.Generator().manual_seed(seed + 3)
    blocks = 0
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torchvision.models.convnext.CNBlock):
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) * (hi - lo) + lo)
                blocks += 1
    return blocks


def build(name, seed):
    torch.manual_seed(seed)
    if name == "convnext_mini":
        return convnext_mini().eval()
    if name == "vit_tiny":
        return vit_tiny().eval()
    if name in SEGMENTATION:
        ctor = getattr(torchvision.models.segmentation, name)
        kwargs = {"weights": None, "weights_backbone": None, "aux_loss": False}
        return MainOutput(ctor(**kwargs)).eval()
    ctor = getattr(torchvision.models, name, None)
    if ctor is None:
        raise SystemExit(f"export_zoo: torchvision has no model '{name}'")
    model = ctor(weights=None, **EXTRA_KWARGS.get(name, {}))
    return model.eval()


def recalibrate_batchnorm(model, size, batches, seed, batch=8, uniform=False):
    """Re-estimates BN running statistics on random images so activations stay O(1):
    `batches` batches of `batch` images, standard normal (or uniform in [0, 1))."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    gen = torch.Generator().manual_seed(seed + 1)
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
        m.train()
    with torch.no_grad():
        for _ in range(batches):
            shape = (batch, 3, size, size)
            model(torch.rand(*shape, generator=gen) if uniform else torch.randn(*shape, generator=gen))
    model.eval()
    return len(bns)


def damp_residual_branches(model, factor=0.5):
    """Scales the last BN of every ResNet block so the deep net is well conditioned."""
    blocks = 0
    with torch.no_grad():
        for m in model.modules():
            last = None
            if isinstance(m, torchvision.models.resnet.Bottleneck):
                last = m.bn3
            elif isinstance(m, torchvision.models.resnet.BasicBlock):
                last = m.bn2
            if last is not None:
                last.weight.mul_(factor)
                last.bias.mul_(factor)
                blocks += 1
    return blocks


def randomize_zero_heads(model, seed, std=0.02):
    """torchvision zero-initialises ViT's classifier head, so its logits would all be the
    (zero) bias: give zero-filled Linear weights a small random init instead."""
    gen = torch.Generator().manual_seed(seed + 3)
    count = 0
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear) and not m.weight.any():
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * std)
                count += 1
    return count


def export(name, out_dir, seed, opset, batches, size=None, dynamic=False):
    size = size or INPUT_SIZE.get(name, 224)
    model = build(name, seed)
    n_bn = recalibrate_batchnorm(model, size, batches, seed)
    n_damped = damp_residual_branches(model) + set_layer_scales(model, seed)
    n_heads = randomize_zero_heads(model, seed)
    gen = torch.Generator().manual_seed(seed + 2)
    x = torch.randn(1, 3, size, size, generator=gen)
    with torch.no_grad():
        y = model(x)
    if isinstance(y, (tuple, list)):
        y = y[0]
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    # --dynamic: batch (and for convnets height and width) as symbolic dims, as models
    # exported for serving come; `tandem convert --input-shape` fixes them.
    axes = {0: "batch"} if name in TRANSFORMERS else {0: "batch", 2: "height", 3: "width"}
    dynamic_axes = {"input": axes, "output": {0: "batch"}} if dynamic else None
    torch.onnx.export(model, x, onnx_path, opset_version=opset, input_names=["input"],
                      output_names=["output"], do_constant_folding=True,
                      dynamic_axes=dynamic_axes)
    np.save(os.path.join(out_dir, f"{name}.input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, f"{name}.output.npy"), y.numpy().astype(np.float32))
    yv = y.numpy()
    with torch.no_grad():  # how far float32 rounding alone moves this model's output
        y64 = model.double()(x.double())
    if isinstance(y64, (tuple, list)):
        y64 = y64[0]
    y64 = y64.numpy()
    fp32_gap = np.abs(yv - y64).max() / np.abs(y64).max()
    print(f"{name}: {onnx_path} input 1x3x{size}x{size}, {n_bn} BN layers re-estimated, "
          f"{n_damped} residual branches damped or scaled, {n_heads} zero heads randomised, "
          f"opset {opset}, output max|y| {np.abs(yv).max():.3g} "
          f"std {yv.std():.3g}, torch fp32 vs fp64 rel err {fp32_gap:.2e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", default=None, help="output folder (default build/models)")
    p.add_argument("--out", dest="out_opt", default=None, help="same as OUT_DIR")
    p.add_argument("--models", default=",".join(ZOO),
                   help="comma-separated torchvision model names (default: the zoo); "
                   "segmentation: " + ",".join(SEGMENTATION) + "; transformers: " +
                   ",".join(TRANSFORMERS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=None,
                   help="ONNX opset (default 13; 14 for " + ", ".join(OPSET) + ")")
    p.add_argument("--bn-batches", type=int, default=4)
    p.add_argument("--size", type=int, default=None,
                   help="input height and width (default 224; 299 for inception_v3)")
    p.add_argument("--dynamic", action="store_true",
                   help="export batch (convnets: also height, width) as dynamic axes")
    p.add_argument("--skip-existing", action="store_true",
                   help="keep models whose .onnx/.npy files are already there")
    args = p.parse_args()
    args.out_dir = args.out_dir or args.out_opt or "build/models"
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for name in [m for m in args.models.split(",") if m]:
        files = [os.path.join(args.out_dir, f"{name}{s}") for s in (".onnx", ".input.npy", ".output.npy")]
        if args.skip_existing and all(os.path.exists(f) for f in files):
            print(f"{name}: already exported")
            continue
        opset = args.opset or OPSET.get(name, 13)
        export(name, args.out_dir, args.seed, opset, args.bn_batches, args.size, args.dynamic)
    return 0


if __name__ == "__main__":
    sys.exit(main())
