"""
Writes two tiny hand-weighted ONNX models that follow models/manifest.schema.md, plus their
manifest, into the folder given as argv[1] (the git-ignored .cache/test-models/). They let the
runtime be tested before the trained models land: the detector is a difference-of-boxes blob
detector (a bright blob in dark lung lights up, a thin vessel barely does), the characterizer
turns the mean density at the cube centre into p_nodule / type. No training, no randomness.
Run with /usr/bin/python3 (Debian python3-torch).
"""
import hashlib
import json
import os
import sys

import torch
from torch import nn


def box_mean(n):
    """Mean over an n^3 box as three 1-D passes (n + n + n weights per voxel, not n^3): the same
    zero-padded box sum, so the analysis with these models takes seconds, not a minute."""
    passes = []
    for axis in range(3):
        k = [1, 1, 1]
        k[axis] = n
        pad = [0, 0, 0]
        pad[axis] = n // 2
        conv = nn.Conv3d(1, 1, tuple(k), padding=tuple(pad), bias=False)
        with torch.no_grad():
            conv.weight.fill_(1.0 / n)
        passes.append(conv)
    return nn.Sequential(*passes)


class BlobDetector(nn.Module):
    """sigmoid(gain * (mean over a 5^3 box - mean over an 11^3 box - offset))."""

    def __init__(self):
        super().__init__()
        self.inner = box_mean(5)
        self.outer = box_mean(11)
        self.gain = 20.0
        self.offset = 0.25

    def forward(self, ct):
        return torch.sigmoid(self.gain * (self.inner(ct) - self.outer(ct) - self.offset))


class CentreCharacterizer(nn.Module):
    """Reads the mean scaled density of the central 6^3 voxels and of a 16^3 shell around it."""

    def forward(self, cube):
        core = cube[:, :, 13:19, 13:19, 13:19].mean(dim=(2, 3, 4))  # [N,1]
        ring = cube[:, :, 8:24, 8:24, 8:24].mean(dim=(2, 3, 4))
        p_nodule = torch.sigmoid(12.0 * (core - ring - 0.15))
        # solid when the core is dense (HU > -300 -> scaled > 0.5), ground glass when faint.
        solid = 20.0 * (core - 0.5)
        gg = 20.0 * (0.35 - core)
        part = -(solid.abs() + gg.abs()) * 0.5 + 2.0
        p_type = torch.softmax(torch.cat([solid, part, gg], dim=1), dim=1)
        p_spiculated = torch.sigmoid(10.0 * (ring - core * 0.5 - 0.2))
        return p_nodule, p_type, p_spiculated


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    det = BlobDetector().eval()
    char = CentreCharacterizer().eval()
    det_path = os.path.join(out, "detector.onnx")
    char_path = os.path.join(out, "characterizer.onnx")
    with torch.no_grad():
        torch.onnx.export(
            det, torch.zeros(1, 1, 32, 32, 32), det_path, opset_version=17,
            input_names=["ct"], output_names=["prob"],
            dynamic_axes={"ct": {0: "n", 2: "z", 3: "y", 4: "x"}, "prob": {0: "n", 2: "z", 3: "y", 4: "x"}},
        )
        torch.onnx.export(
            char, torch.zeros(1, 1, 32, 32, 32), char_path, opset_version=17,
            input_names=["cube"], output_names=["p_nodule", "p_type", "p_spiculated"],
            dynamic_axes={"cube": {0: "n"}, "p_nodule": {0: "n"}, "p_type": {0: "n"}, "p_spiculated": {0: "n"}},
        )
    manifest = {
        "schemaVersion": 1,
        "models": {
            "detector": {
                "name": "test-blob-detector", "version": "0.0.1-test",
                "file": "detector.onnx", "sha256": sha256(det_path),
                "inputName": "ct", "outputName": "prob",
                "spacingMm": [1, 1, 1], "patchSize": [32, 32, 32], "huWindow": [-1000, 400],
                "outputMeaning": "hand-weighted difference-of-boxes blob response (test model, not trained)",
                "trainingData": "none (hand-set weights)", "opset": 17, "evaluation": {},
            },
            "characterizer": {
                "name": "test-centre-characterizer", "version": "0.0.1-test",
                "file": "characterizer.onnx", "sha256": sha256(char_path),
                "inputName": "cube", "cubeSize": [32, 32, 32], "spacingMm": [1, 1, 1],
                "huWindow": [-1000, 400],
                "outputs": {"nodule": "p_nodule", "type": "p_type", "spiculated": "p_spiculated"},
                "typeOrder": ["solid", "part-solid", "ground-glass"],
                "outputMeaning": "hand-weighted centre density rules (test model, not trained)",
                "trainingData": "none (hand-set weights)", "opset": 17, "evaluation": {},
            },
        },
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    # The same detector as a state dict, so the benchmark can time PyTorch against ONNX.
    torch.save(det.state_dict(), os.path.join(out, "detector.pt"))


if __name__ == "__main__":
    main()
