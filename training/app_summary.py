"""Summarises `pulmolens analyze` findings.json files of the real scans (training/app_check.sh)."""
import datetime
import glob
import hashlib
import json
import os
import sys

import numpy as np

from char_data import luna_marks
from common import MODELS, RUNS


def derived_sources():
    """A real scan's thick-slice, sharp-kernel or lower-dose copy (insert_nodules.py --count 0, under
    runs/thick/, runs/sharp/ and runs/lowdose/; app_check.sh) has a new UID: its sidecar names the scan it came from, whose
    LUNA16 marks apply."""
    out = {}
    for side in [f for folder in ('thick', 'sharp', 'lowdose') for f in glob.glob(os.path.join(RUNS, folder, '*.json'))]:
        meta = json.load(open(side))
        # Beside the sidecars lie other records (insert_nodules.py's <name>.sites.json): not series.
        if 'sourceSeriesInstanceUid' in meta:
            out[meta['seriesInstanceUid']] = meta['sourceSeriesInstanceUid']
    return out


def main():
    out = sys.argv[1]
    manifest = json.load(open(os.path.join(MODELS, 'manifest.json')))
    res = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           # Every model file the app ran (the score fusion's U-Net too): readers refuse a summary of other files.
           'modelsSha256': {k: hashlib.sha256(open(os.path.join(MODELS, m['file']), 'rb').read()).hexdigest()
                            for k, m in manifest['models'].items()},
           'command': 'training/app_check.sh (node bin/pulmolens.mjs analyze <series> --models models)',
           'scans': {}}
    sources = derived_sources()
    for f in sorted(glob.glob(os.path.join(out, '*', 'findings.json'))):
        doc = json.load(open(f))
        thr = doc.get('operatingThreshold')
        listed = sorted(doc['findings'], key=lambda x: -x['probability'])
        uid = doc['seriesInstanceUid']
        marks = luna_marks(sources.get(uid, uid))
        fp, rows = 0, []
        for i, fnd in enumerate(listed):
            c = np.array(fnd['centerLps'])
            near = [(kind, r) for p, r, kind in marks if np.linalg.norm(c - p) <= (r if r else 15)]
            kind = 'nodule' if any(k == 'nodule' for k, _ in near) else ('excluded' if near else 'FP')
            fp += kind == 'FP'
            rows.append({'rank': i + 1, 'probability': fnd['probability'], 'kind': kind, 'diameterMm': fnd.get('diameterMm')})
        res['scans'][os.path.basename(os.path.dirname(f))] = {
            'seriesInstanceUid': doc['seriesInstanceUid'], 'operatingThreshold': thr, 'findings': len(listed),
            'falsePositives': fp, 'candidates': len(doc.get('candidates', [])), 'rows': rows[:10],
            'thickSliceWarning': any(w.startswith('slices thicker than') for w in doc.get('warnings', [])),
            'imageNoise': doc.get('imageNoise'),
            'noiseWarning': any(w.startswith('image noise above') for w in doc.get('warnings', [])),
            'lunaNoduleRank': next((r['rank'] for r in rows if r['kind'] == 'nodule'), None),
        }
    json.dump(res, open(os.path.join(out, 'summary.json'), 'w'), indent=2)
    print(json.dumps(res, indent=1)[:3000])


if __name__ == '__main__':
    main()
