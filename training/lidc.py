"""LIDC-IDRI scans from ../shared/data, extracted into the git-ignored training/runs/cache."""
import glob
import os
import subprocess

import numpy as np
import pydicom

from common import RUNS, SHARED, resample_to_mm


def extract(study):
    dest = os.path.join(RUNS, 'cache', f'LIDC-IDRI-{study}')
    if not os.path.isdir(dest):
        tmp = dest + '.tmp'
        os.makedirs(tmp, exist_ok=True)
        subprocess.run(['tar', 'xJf', os.path.join(SHARED, 'ct', f'LIDC-IDRI-{study}.tar.xz'), '-C', tmp], check=True)
        os.rename(tmp, dest)
    series = glob.glob(os.path.join(dest, '**', 'series'), recursive=True)
    if not series:
        raise FileNotFoundError(f'no series/ folder in {dest}')
    return series[0]


def load_lidc(study):
    """Returns (hu [z,y,x] float32 at 1 mm, origin LPS (x,y,z) of voxel 0, SeriesInstanceUID)."""
    files = sorted(glob.glob(os.path.join(extract(study), '*.dcm')))
    slices = [pydicom.dcmread(f) for f in files]
    for s in slices:
        if [round(float(v), 4) for v in s.ImageOrientationPatient] != [1, 0, 0, 0, 1, 0]:
            raise ValueError(f'{study}: non-axial orientation {s.ImageOrientationPatient}')
    slices.sort(key=lambda s: float(s.ImagePositionPatient[2]))
    z = np.array([float(s.ImagePositionPatient[2]) for s in slices])
    sz = float(np.median(np.diff(z)))
    row_sp, col_sp = (float(v) for v in slices[0].PixelSpacing)
    hu = np.stack([s.pixel_array.astype(np.float32) * float(s.RescaleSlope) + float(s.RescaleIntercept) for s in slices])
    origin = [float(v) for v in slices[0].ImagePositionPatient]
    vol = resample_to_mm(hu, (col_sp, row_sp, sz))
    return vol, origin, str(slices[0].SeriesInstanceUID)


def excluded_marks(series_uid):
    """LUNA16 excluded marks (world x, y, z) for a series: neither nodules nor safe negatives."""
    out = []
    path = os.path.join(SHARED, 'ct', 'luna16-annotations-excluded.csv')
    for line in open(path).read().strip().split('\n')[1:]:
        uid, x, y, z, _ = line.split(',')
        if uid == series_uid:
            out.append((float(x), float(y), float(z)))
    return out
