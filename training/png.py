"""Minimal PNG writer (no PIL or matplotlib on the training machine): grey or RGB uint8 arrays."""
import struct
import zlib

import numpy as np


def write_png(path, img):
    a = np.asarray(img, dtype=np.uint8)
    if a.ndim == 2:
        a = a[..., None].repeat(3, axis=2)
    h, w, _ = a.shape
    raw = b''.join(b'\x00' + a[y].tobytes() for y in range(h))

    def chunk(tag, data):
        c = struct.pack('>I', len(data)) + tag + data
        return c + struct.pack('>I', zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(raw, 6)))
        f.write(chunk(b'IEND', b''))
