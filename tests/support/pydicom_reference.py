"""Independent reference reader for the tests: pydicom + numpy (Debian packages).

Prints one JSON object per series folder: slice count, spacing, origin, HU range and mean.
Padding (PixelPaddingValue) is mapped to -1024 HU, the same documented rule as PulmoLens.
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom


def main(folder: str) -> None:
    dss = []
    paths = [folder] if os.path.isfile(folder) else sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True))
    for p in paths:
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
    pos = [float(np.dot(np.array(d.ImagePositionPatient, dtype=float), normal)) for d in dss]
    gaps = np.diff(pos)
    vol = []
    for d in dss:
        raw = d.pixel_array.astype(np.int32)
        hu = raw * float(getattr(d, "RescaleSlope", 1)) + float(getattr(d, "RescaleIntercept", 0))
        pad = getattr(d, "PixelPaddingValue", None)
        if pad is not None:
            hu[raw == int(pad)] = -1024
        vol.append(np.clip(np.round(hu), -32768, 32767).astype(np.int16))
    v = np.stack(vol)
    ps = [float(x) for x in dss[0].PixelSpacing]
    print(json.dumps({
        "slices": len(dss),
        "rows": int(dss[0].Rows),
        "columns": int(dss[0].Columns),
        "spacingMm": [ps[1], ps[0], float(np.median(gaps)) if len(gaps) else None],
        "originLps": [float(x) for x in dss[0].ImagePositionPatient],
        "huMin": int(v.min()),
        "huMax": int(v.max()),
        "huMean": float(v.astype(np.float64).mean()),
        "seriesInstanceUid": str(dss[0].SeriesInstanceUID),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
