"""Independent ROI statistics for the e2e tests: pydicom + numpy on the original DICOM files.

Usage: roi_reference.py <series-folder> <json>, json = {"shape": "ellipse"|"circle", "points": [[x,y,z],...]}
(Cornerstone's handle points, LPS mm). Takes the slice nearest the points' z, the pixels whose
centres lie inside the shape, and prints {"mean", "sd", "sd_sample", "area_mm2", "n"}.
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom


def main(folder: str, spec: dict) -> None:
    pts = np.array(spec["points"], dtype=float)
    z = float(pts[:, 2].mean())
    best = None
    for p in sorted(glob.glob(os.path.join(folder, "*"))):
        try:
            ds = pydicom.dcmread(p)
        except Exception:
            continue
        if "PixelData" not in ds:
            continue
        dz = abs(float(ds.ImagePositionPatient[2]) - z)
        if best is None or dz < best[0]:
            best = (dz, ds)
    ds = best[1]
    iop = np.array(ds.ImageOrientationPatient, dtype=float)
    ipp = np.array(ds.ImagePositionPatient, dtype=float)
    row_sp, col_sp = (float(v) for v in ds.PixelSpacing)
    raw = ds.pixel_array.astype(np.float64)
    hu = raw * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    rows, cols = hu.shape
    r, c = np.mgrid[0:rows, 0:cols]
    # Pixel centre (r, c) in LPS: IPP + c * colSpacing * rowCosine + r * rowSpacing * columnCosine.
    x = ipp[0] + c * col_sp * iop[0] + r * row_sp * iop[3]
    y = ipp[1] + c * col_sp * iop[1] + r * row_sp * iop[4]
    if spec["shape"] == "circle":
        centre, edge = pts[0], pts[1]
        radius = float(np.linalg.norm(edge[:2] - centre[:2]))
        inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 <= radius**2
        area = np.pi * radius**2
    else:
        xs, ys = pts[:, 0], pts[:, 1]
        cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
        a, b = (xs.max() - xs.min()) / 2, (ys.max() - ys.min()) / 2
        inside = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1
        area = np.pi * a * b
    v = hu[inside]
    print(
        json.dumps(
            {
                "mean": float(v.mean()),
                "sd": float(v.std()),
                "sd_sample": float(v.std(ddof=1)),
                "area_mm2": float(area),
                "n": int(v.size),
                "slice_z": float(ipp[2]),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
