"""The shipped characterizer on a lower-dose protocol (session 20; lowdose_experiment.sh makes and
mines the series): the same inserted nodules as acquired and with the soft-tissue noise x2 / x3,
and the real scans at those doses with nothing inserted. Scored as split_cv.py scores: LIDC-IDRI-0001
cross-fitted (each candidate by the members that never learned its slab), LIDC-IDRI-0002 (the
training background, a protocol no member saw) by the mean of all members as the app runs; the app's
merge; the manifest's threshold. Writes runs/lowdose-check.json.
Session 45: the shipped score, p_nodule fused with the fusion detector's heat (cv_report.fuse_logits;
heat in runs/heat/, heatmap_at_candidates.ts). Each series' member logits are kept beside its mined
list (<name>.logits.json, with the members that made them), so that the 400 MB of cubes a series
can be deleted once scored (lowdose_experiment.sh fused: this disk holds a few series' cubes, not 36).

  /usr/bin/python3 training/lowdose_check.py [--slabs A,B,C,D --out runs/NAME.json]  # other members
  /usr/bin/python3 training/lowdose_check.py --cache NAME...   # score and keep these series' logits only
  /usr/bin/python3 training/lowdose_check.py --no-fusion --threshold 0.911 --out runs/NAME.json   # p_nodule alone
"""
import argparse
import json
import os

import numpy as np

from char_data import Series
from common import MODELS, RUNS
from cross_fit import CrossFitted
from cv_report import SCORE_P, SHIP_SPLIT, calibrated, exact_logits, finding_score, fuse_logits, fusion_spec, load_net
from split_cv import figures

IN = os.path.join(RUNS, 'lowdose')
MINED_LD = os.path.join(RUNS, 'lowdose-mined')

SETS = {
    'LIDC-IDRI-0001 as acquired, seeds 101-104': [f'LIDC-IDRI-0001-s{s}' for s in range(101, 105)],
    'LIDC-IDRI-0001 noise x2, seeds 101-104': [f'LIDC-IDRI-0001-n2-s{s}' for s in range(101, 105)],
    'LIDC-IDRI-0001 as acquired, seeds 105-108': [f'LIDC-IDRI-0001-s{s}' for s in range(105, 109)],
    'LIDC-IDRI-0001 noise x3, seeds 105-108': [f'LIDC-IDRI-0001-n3-s{s}' for s in range(105, 109)],
    'LIDC-IDRI-0002 noise x2, seeds 110-113': [f'LIDC-IDRI-0002-n2-s{s}' for s in range(110, 114)],
    'LIDC-IDRI-0002 noise x3, seeds 114-117': [f'LIDC-IDRI-0002-n3-s{s}' for s in range(114, 118)],
    # Session 20's fresh lower-dose test (lowdose_experiment.sh test), inserted after 101-108 had
    # been read and before members trained on lower doses were compared on them.
    'test: LIDC-IDRI-0001 noise x2, seeds 131-134': [f'LIDC-IDRI-0001-n2-s{s}' for s in range(131, 135)],
    'test: LIDC-IDRI-0001 noise x3, seeds 135-138': [f'LIDC-IDRI-0001-n3-s{s}' for s in range(135, 139)],
}
REAL = ['LIDC-IDRI-0001-n2', 'LIDC-IDRI-0001-n3', 'LIDC-IDRI-0002-n2', 'LIDC-IDRI-0002-n3']


def series(name):
    side = os.path.join(IN, name + '.json')
    ins = json.load(open(side))
    return Series(name, os.path.join(MINED_LD, name), side if ins['nodules'] else None,
                  source_uid=ins['sourceSeriesInstanceUid'], cubes=False)


def member_logits(s, ship):
    """LIDC-IDRI-0001 (held out from the positives) cross-fitted, each candidate by the members that
    never learned its slab; LIDC-IDRI-0002 (the training background) as the app scores any series.
    Read from <name>.logits.json when those members made it, else scored from the cubes and kept."""
    path = os.path.join(MINED_LD, s.name + '.logits.json')
    if os.path.exists(path):
        rec = json.load(open(path))
        if rec['members'] == ship.members and len(rec['logits']) == len(s.labels):
            return np.asarray(rec['logits'], dtype=np.float64)
    if not os.path.exists(os.path.join(MINED_LD, s.name + '.cubes.f32')):
        raise SystemExit(f'{path}: no logits of {ship.members} and no cubes to score: mine {s.name} again (lowdose_experiment.sh)')
    logits = ship.series_logits(s) if s.name.startswith('LIDC-IDRI-0001') else ship.app_logits(s)
    tmp = path + '.tmp'
    json.dump({'members': ship.members, 'logits': [float(x) for x in logits]}, open(tmp, 'w'))
    os.replace(tmp, path)
    return logits


def check_pairs():
    """The noisy series must hold the very nodules of their plain twins (insert_nodules.py draws
    sites and shapes before the dose is lowered); otherwise the comparison is not nodule for nodule."""
    for s in range(101, 109):
        plain = os.path.join(IN, f'LIDC-IDRI-0001-s{s}.json')
        noisy = os.path.join(IN, f"LIDC-IDRI-0001-n{2 if s < 105 else 3}-s{s}.json")
        if not (os.path.exists(plain) and os.path.exists(noisy)):
            continue
        a, b = (json.load(open(p))['nodules'] for p in (plain, noisy))
        if [(n['worldLps'], n['diameterMm'], n['type']) for n in a] != [(n['worldLps'], n['diameterMm'], n['type']) for n in b]:
            raise SystemExit(f'{noisy}: not the nodules of {plain}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--slabs', help="members per slab of the shipped bounds, '+'-joined within a slab, comma-separated (default: the shipped split)")
    ap.add_argument('--threshold', type=float, help="default: the manifest's")
    ap.add_argument('--test', action='store_true', help="also the fresh test sets ('test: ...'; read once, after the choice)")
    ap.add_argument('--out', default=os.path.join(RUNS, 'lowdose-check.json'))
    ap.add_argument('--cache', nargs='+', metavar='NAME', help='only score these series and keep their logits')
    ap.add_argument('--no-fusion', action='store_true', help='p_nodule alone (with --threshold: the comparison with the unfused members)')
    a = ap.parse_args()
    split = {**SHIP_SPLIT, 'slabs': a.slabs.split(',')} if a.slabs else SHIP_SPLIT
    ship = CrossFitted(split, load_net, exact_logits)
    if a.cache:
        for name in a.cache:
            print(f'{name}: {len(member_logits(series(name), ship))} candidates scored', flush=True)
        return
    check_pairs()
    thr = a.threshold or json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']['threshold']
    # Other members (--slabs) are scored on p_nodule alone: the fusion's weight was chosen for the shipped ones.
    fusion = None if a.slabs or a.no_fusion else fusion_spec()

    def score(s):
        return finding_score(calibrated(fuse_logits(member_logits(s, ship), s, 1.0, fusion), 1.0), s, SCORE_P)

    out = {'threshold': thr, 'members': ship.members, 'fusion': fusion, 'sets': {}, 'realScans': {}}
    for label, names in SETS.items():
        if label.startswith('test:') and not a.test:
            continue
        have = [n for n in names if os.path.exists(os.path.join(MINED_LD, n + '.json'))]
        if len(have) < len(names):
            print(f'{label}: {len(have)} of {len(names)} series mined; left out')
            continue
        ser = [series(n) for n in have]
        f = figures(ser, [score(s) for s in ser], thr)
        out['sets'][label] = f
        print(f"{label}: {f['nodules']} nodules, CPM {f['cpm']:.3f} {f['cpmCI95']}, 1 FP/scan {f['sensAt1Fp']:.3f}, "
              f"at threshold {f['atThreshold']['sensitivity']:.3f} / {f['atThreshold']['fpPerScan']:.2f} FP; "
              f">=6 mm {f['>=6 mm']['sensAt1Fp']:.3f} (candidate {f['>=6 mm']['candidate']:.3f}), "
              f"3-6 mm {f['3-6 mm']['sensAt1Fp']:.3f} (candidate {f['3-6 mm']['candidate']:.3f})", flush=True)
    for name in REAL:
        if not os.path.exists(os.path.join(MINED_LD, name + '.json')):
            continue
        s = series(name)
        x = score(s)
        neg = np.where(s.labels == 0, x, -2)
        top = np.argsort(-neg)[:3]
        out['realScans'][name] = {'falsePositives': int((neg >= thr).sum()), 'candidates': len(x),
                                  'top': [[round(float(x[i]), 3), [round(v, 1) for v in s.meta['candidates'][i]['world']]] for i in top]}
        print(f"real {name}: {out['realScans'][name]['falsePositives']} FP at {thr}, top {out['realScans'][name]['top']}", flush=True)
    json.dump(out, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
