"""Copies DICOM files with their pixel data replaced by a JPEG-LS stream that does not decode.

Usage: make_undecodable.py <out-folder> <file>... (headers stay valid, so the scan accepts them and
only opening the series fails, as a corrupt compressed series does).
"""
import os
import sys

import pydicom
from pydicom.encaps import encapsulate


def main(out: str, files: list) -> None:
    os.makedirs(out, exist_ok=True)
    for p in files:
        ds = pydicom.dcmread(p)
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.80"  # JPEG-LS lossless
        ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(range(256)) * 4])
        ds["PixelData"].is_undefined_length = True
        ds.save_as(os.path.join(out, os.path.basename(p)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
