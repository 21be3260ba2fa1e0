#!/usr/bin/env python3
"""Writes split_cv.py results as a markdown table into a marked block of a markdown file (the model
card by default), so figures measured after the card's generated block are shown without being
typed in.

  /usr/bin/python3 training/split_cv_block.py --block second-centres \\
      --row 'without=training/split-cv-session27-ship-shipped.json' \\
      --row 'with=training/split-cv-session27-shipsecond-shipped.json' [--file models/README.md]

The block is the text between <!-- split-cv:NAME:begin --> and <!-- split-cv:NAME:end -->; both
markers must already be in the file (nothing else is touched).
"""
import argparse
import json
import os

from common import MODELS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETS = ('test', 'sharp test', 'thick test', 'calibration', 'sharp calibration', 'thick calibration', 'dev')


def rows(label, path):
    d = json.load(open(path))
    m = d['models']['cross-fitted']
    out = []
    for k in SETS:
        v = m['sets'].get(k)
        if not v:
            continue
        lo, hi = v['cpmCI95']
        out.append(f"| {label} | {k} | {v['scans']} | {v['nodules']} | {v['cpm']:.3f} ({lo:.3f}-{hi:.3f}) | "
                   f"{v['sensAt1Fp']:.3f} | {v['>=6 mm']['sensAt1Fp']:.3f} | {v['3-6 mm']['sensAt1Fp']:.3f} | "
                   f"{v['atThreshold']['sensitivity']:.3f}, {v['atThreshold']['fpPerScan']:.2f} |")
    real = ' / '.join(f"{r['falsePositives']}" for r in m['realScans'].values())
    return out, f"{label}: threshold {m['threshold']:.4f} (thick-slice offset {m['thickLogitOffset']:.3f}); real LIDC-IDRI-0001 " \
                f"/ {' / '.join(n.replace('LIDC-IDRI-0001-', '') for n in list(m['realScans'])[1:])} false positives {real} (`{os.path.relpath(os.path.abspath(path), ROOT)}`)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--block', required=True)
    ap.add_argument('--row', action='append', required=True, help='LABEL=split_cv.json')
    ap.add_argument('--file', default=os.path.join(MODELS, 'README.md'))
    a = ap.parse_args()
    begin, end = f'<!-- split-cv:{a.block}:begin -->', f'<!-- split-cv:{a.block}:end -->'
    text = open(a.file).read()
    if begin not in text or end not in text:
        raise SystemExit(f'{a.file}: no {begin} ... {end} block')
    table = ['| pipeline | set | scans | nodules | CPM (95% CI) | 1 FP/scan | >= 6 mm at 1 FP/scan | 3-6 mm at 1 FP/scan | at the threshold: sensitivity, FP/scan |',
             '|---|---|---|---|---|---|---|---|---|']
    notes = []
    for spec in a.row:
        label, path = spec.split('=', 1)
        r, n = rows(label, path)
        table += r
        notes.append(f'- {n}')
    body = '\n'.join(['', *table, '', *notes, ''])
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(a.file, 'w').write(head + begin + body + end + tail)
    print(f'{a.file}: block {a.block} written ({len(table) - 2} rows)')


if __name__ == '__main__':
    main()
