"""Scores stage1_clip_score.ts's output (session 18): the shipped candidates alone (arm A) against
them plus the clipped-HU blob candidates (arm B), both scored by the shipped characterizer, so it
is the untrained characterizer's view of the new candidates. Not cross-fitted: the shipped members
learned LIDC-IDRI-0001's real negatives among arm A's candidates (so arm A's false positives there
are optimistic and the comparison leans against arm B).

Inserted series (runs/insert/<name>.json): FROC by size over all of them, LUNA16 rules (a hit is a
candidate within the nodule's radius; the scan's own LUNA16 marks and nodules inserted outside the
aerated lung, site_check.py, are excluded marks; a candidate within 3 mm of a stronger one is
merged). Real series: every candidate at or above the manifest's threshold (the thick-slice logit
offset for slices > 2.5 mm), with the LUNA16 mark it hits or FP.

  /usr/bin/python3 training/stage1_clip_froc.py runs/probe/clipscore-dev.jsonl
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom

from char_data import luna_marks
from common import MODELS, RUNS
from cv_report import recalibrate

RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8]
MANIFEST = json.load(open(os.path.join(MODELS, 'manifest.json')))
OP = MANIFEST['operatingPoint']
THR = OP['threshold']
THICK_OFFSET = (OP.get('thickSlice') or {}).get('logitOffset', 0.0)


def study_uid(study):
    f = sorted(glob.glob(os.path.join(RUNS, '..', '..', '.cache', f'LIDC-IDRI-{study}', '**', '*.dcm'), recursive=True))[0]
    return pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID


def inserted_name(series):
    name = os.path.basename(series)
    return name if os.path.exists(os.path.join(RUNS, 'insert', name + '.json')) else None


def merged(cands):
    """Strongest first; a candidate within 3 mm of a kept one is that one."""
    kept = []
    for c in sorted(cands, key=lambda r: -r['p']):
        w = np.array(c['w'])
        if not any(np.linalg.norm(w - k['_w']) < 3 for k in kept):
            kept.append({**c, '_w': w})
    return kept


def froc(rows, names, with_extra, marks):
    events, nods = [], {}
    for s in names:
        name = inserted_name(s)
        meta = json.load(open(os.path.join(RUNS, 'insert', name + '.json')))
        sites = json.load(open(os.path.join(RUNS, 'insert', name + '.sites.json')))
        inside = [n for n in meta['nodules'] if sites.get(n['id'], True)]
        excl = [(np.array(n['worldLps']), n['diameterMm'] / 2) for n in meta['nodules'] if not sites.get(n['id'], True)]
        excl += [(c, r or 5.0) for c, r, _ in marks]
        for n in inside:
            nods[n['id']] = n['diameterMm']
        for c in merged([r for r in rows if r['series'] == s and (with_extra or not r['extra'])]):
            hit = [n['id'] for n in inside if np.linalg.norm(c['_w'] - np.array(n['worldLps'])) <= n['diameterMm'] / 2]
            if hit:
                events.append((c['p'], hit[0]))
            elif not any(np.linalg.norm(c['_w'] - e) <= r for e, r in excl):
                events.append((c['p'], None))
    events.sort(key=lambda e: -e[0])

    def sens(pred, rate=None, thr=None):
        found, fp = set(), 0
        for p, h in events:
            if thr is not None and p < thr:
                break
            if h is None:
                fp += 1
                if rate is not None and fp / len(names) > rate:
                    break
            elif pred(nods[h]):
                found.add(h)
        n = sum(1 for d in nods.values() if pred(d))
        return len(found) / max(1, n), fp / len(names), n

    out = {}
    for label, pred in (('all', lambda d: True), ('>= 6 mm', lambda d: d >= 6), ('3-6 mm', lambda d: d < 6), ('>= 4 mm', lambda d: d >= 4)):
        s1, _, n = sens(pred, rate=1)
        st, fpt, _ = sens(pred, thr=THR)
        out[label] = (f'{n} nodules: CPM {np.mean([sens(pred, rate=r)[0] for r in RATES]):.3f}, {s1:.3f} at 1 FP/scan, '
                      f'{st:.3f} at the threshold ({fpt:.2f} FP/scan), a candidate {sens(pred)[0]:.3f}')
    return out


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    order = list(dict.fromkeys(r['series'] for r in rows))
    inserted = [s for s in order if inserted_name(s)]
    marks = {k: luna_marks(study_uid(k)) for k in ('0001', '0002')}
    if inserted:
        extra = [r for r in rows if r['series'] in inserted and r['extra']]
        print(f'{len(inserted)} inserted series; {len(extra) / len(inserted):.1f} clipped-blob candidates per scan, '
              f'{sum(r["p"] >= THR for r in extra)} of them at or above the threshold {THR}')
        for label, with_extra in (('shipped candidates', False), ('+ clipped-HU blobs', True)):
            print(label)
            for k, v in froc(rows, inserted, with_extra, marks['0001']).items():
                print(f'  {k}: {v}')
    for s in order:
        if s in inserted:
            continue
        study = '0002' if 'LIDC-IDRI-0002' in s else '0001'
        thick = os.path.basename(s).endswith('-t2')
        listed = []
        for c in merged([r for r in rows if r['series'] == s]):
            p = recalibrate(c['p'], THICK_OFFSET if thick else 0.0)
            if p < THR:
                continue
            m = [k for cc, r, k in marks[study] if np.linalg.norm(c['_w'] - cc) <= (r or 5.0)]
            listed.append(f"{'clip' if c['extra'] else 'shipped'} p {p:.3f} {m[0] if m else 'FALSE POSITIVE'} at {[round(x) for x in c['w']]}")
        n_fp = sum('FALSE POSITIVE' in x for x in listed)
        print(f'{s}: {n_fp} false positive(s) at the threshold; ' + '; '.join(listed))


if __name__ == '__main__':
    main()
