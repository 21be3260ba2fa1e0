"""Three axial slices (the nearest one to an inserted nodule's centre and its neighbours), 60 mm
crops in a lung window (-1000..400 HU), the nodule's diameter drawn in red: how a stage-1 miss looks.

  /usr/bin/python3 training/nodule_slices.py LIDC-IDRI-0001-s5 0001-s5-17 [...]   # -> runs/probe/<id>.png
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom

from common import RUNS
from png import write_png

ZOOM = 3


def main():
    series = sys.argv[1]
    meta = json.load(open(os.path.join(RUNS, 'insert', series + '.json')))
    ds = sorted((pydicom.dcmread(f) for f in glob.glob(os.path.join(RUNS, 'insert', series, '*.dcm'))),
                key=lambda d: float(d.ImagePositionPatient[2]))
    zs = np.array([float(d.ImagePositionPatient[2]) for d in ds])
    ox, oy = float(ds[0].ImagePositionPatient[0]), float(ds[0].ImagePositionPatient[1])
    px = float(ds[0].PixelSpacing[0])
    out = os.path.join(RUNS, 'probe')
    os.makedirs(out, exist_ok=True)
    for nid in sys.argv[2:]:
        n = next(n for n in meta['nodules'] if n['id'] == nid)
        x, y, z = n['worldLps']
        k = int(np.argmin(abs(zs - z)))
        i, j = int(round((x - ox) / px)), int(round((y - oy) / px))
        h = int(30 / px)
        tiles = []
        for kk in range(max(0, k - 1), min(len(ds), k + 2)):
            d = ds[kk]
            a = d.pixel_array.astype(np.float32) * float(d.RescaleSlope) + float(d.RescaleIntercept)
            g = np.clip((a[max(0, j - h):j + h, max(0, i - h):i + h] + 1000) / 1400 * 255, 0, 255).astype(np.uint8)
            g = np.repeat(np.repeat(g, ZOOM, 0), ZOOM, 1)
            rgb = np.stack([g, g, g], -1)
            yy, xx = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
            ring = abs(np.hypot(yy - min(h, j) * ZOOM, xx - min(h, i) * ZOOM) - n['diameterMm'] / 2 / px * ZOOM) < 1.5
            rgb[ring] = [255, 0, 0]
            tiles.append(rgb)
        hmin = min(t.shape[0] for t in tiles)
        write_png(os.path.join(out, nid + '.png'), np.concatenate([t[:hmin] for t in tiles], 1))
        print(nid, n['diameterMm'], 'mm', n['type'], n['attachment'], 'slice', k)


if __name__ == '__main__':
    main()
