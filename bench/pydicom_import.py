"""Peer benchmark: pydicom + numpy reading a CT series into an HU volume (same work as PulmoLens:
read, sort by position along the normal, apply rescale). Prints JSON with the best of N runs."""
import glob
import json
import os
import sys
import time

import numpy as np
import pydicom


def load(folder):
    dss = []
    for p in glob.glob(os.path.join(folder, "**", "*.dcm"), recursive=True):
        dss.append(pydicom.dcmread(p))
    iop = np.array(dss[0].ImageOrientationPatient, dtype=float)
    n = np.cross(iop[:3], iop[3:])
    dss.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, dtype=float), n)))
    vol = np.empty((len(dss), dss[0].Rows, dss[0].Columns), dtype=np.int16)
    for i, d in enumerate(dss):
        vol[i] = (d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)).astype(np.int16)
    return vol


def main():
    folder, runs = sys.argv[1], int(sys.argv[2])
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        vol = load(folder)
        times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": sorted(times), "slices": int(vol.shape[0])}))


if __name__ == "__main__":
    main()
