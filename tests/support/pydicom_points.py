"""Independent reference for the viewer's numbers: pydicom + numpy, no PulmoLens code.

  pydicom_points.py FOLDER slices        -> [{"instanceNumber", "positionLps"}] sorted feet -> head
                                            along the slice normal (the volume's slice order k)
  pydicom_points.py FOLDER pick K        -> a voxel of slice K whose HU stands out from the same
                                            pixel on distant slices (so a wrong-slice read shows),
                                            in a flat 5x5 patch (so a click a pixel off reads the same)
  pydicom_points.py FOLDER at X Y Z      -> the HU and Instance Number of the voxel nearest an LPS point

Padding (PixelPaddingValue) reads as -1024 HU, the documented PulmoLens rule.
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom


def load(folder):
    dss = []
    for p in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if not os.path.isfile(p):
            continue
        try:
            ds = pydicom.dcmread(p)
        except Exception:
            continue
        if "PixelData" in ds:
            dss.append(ds)
    iop = np.array(dss[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    dss.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, dtype=float), normal)))
    return dss, iop


def hu(ds):
    raw = ds.pixel_array.astype(np.int32)
    v = raw * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    pad = getattr(ds, "PixelPaddingValue", None)
    if pad is not None:
        v[raw == int(pad)] = -1024
    return np.round(v).astype(np.int32)


def lps(ds, iop, i, j):
    ps = [float(x) for x in ds.PixelSpacing]  # [between rows, between columns]
    ipp = np.array(ds.ImagePositionPatient, dtype=float)
    return (ipp + i * ps[1] * iop[:3] + j * ps[0] * iop[3:]).tolist()


def instance(ds):
    return int(ds.InstanceNumber) if "InstanceNumber" in ds else None


def main(folder, mode, args):
    dss, iop = load(folder)
    if mode == "slices":
        out = [
            {"instanceNumber": instance(d), "positionLps": [float(x) for x in d.ImagePositionPatient]}
            for d in dss
        ]
    elif mode == "pick":
        k = int(args[0])
        n = len(dss)
        v = hu(dss[k])
        others = [hu(dss[o]) for o in {n - 1 - k, max(0, k - 50), min(n - 1, k + 50)} if o != k]
        h, w = v.shape
        best = None
        for j in range(h // 4, 3 * h // 4, 2):
            for i in range(w // 4, 3 * w // 4, 2):
                c = int(v[j, i])
                if not 50 <= c <= 1000:
                    continue
                patch = v[j - 2 : j + 3, i - 2 : i + 3]
                if int(np.abs(patch - c).max()) > 25:
                    continue
                contrast = min(abs(c - int(o[j, i])) for o in others)
                if best is None or contrast > best[0]:
                    best = (contrast, i, j, c)
        if best is None:
            raise SystemExit(f"no flat bright voxel on slice {k}")
        _, i, j, c = best
        out = {"i": i, "j": j, "k": k, "hu": c, "contrast": best[0], "lps": lps(dss[k], iop, i, j),
               "instanceNumber": instance(dss[k])}
    elif mode == "at":
        p = np.array([float(a) for a in args[:3]])
        normal = np.cross(iop[:3], iop[3:])
        pos = [float(np.dot(np.array(d.ImagePositionPatient, dtype=float), normal)) for d in dss]
        k = int(np.argmin([abs(float(np.dot(p, normal)) - q) for q in pos]))
        ds = dss[k]
        ps = [float(x) for x in ds.PixelSpacing]
        rel = p - np.array(ds.ImagePositionPatient, dtype=float)
        i = int(round(float(np.dot(rel, iop[:3])) / ps[1]))
        j = int(round(float(np.dot(rel, iop[3:])) / ps[0]))
        out = {"k": k, "i": i, "j": j, "hu": int(hu(ds)[j, i]), "instanceNumber": instance(ds)}
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
