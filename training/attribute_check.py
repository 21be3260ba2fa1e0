#!/usr/bin/env python3
"""How right the characterizer's nodule type and spiculation are: the two outputs beside p_nodule
that the findings panel, the exam's Lung-RADS category (a spiculated category 3/4 nodule is 4X; a
part-solid one is sized by its solid part) and the Brock risk (spiculation is one of its terms) are
computed from. Session 31: no figure measured them until now.

Per inserted nodule with a candidate (the hitting candidate with the highest score: the one the
app's finding takes its type and margin from; since session 45 the shipped score, p_nodule fused
with the fusion detector's heat, cv_report.fuse_logits, as the threshold it is read against), on the model card's held-out test series (seeds
41-48, sharp kernels 89-92, 5 mm slices 75-78; never training data) and the development seeds 5-12:
the type confusion matrix, and for spiculation (the truth is the inserted margin; the generator
makes only solid and part-solid nodules >= 6 mm spiculated) its AUC and the app's 0.5 cut. Then the
one real nodule, LIDC-IDRI-0001's, against its four readers' ratings in the LIDC XML (texture 1-5:
1 ground-glass, 3 part-solid, 5 solid; spiculation 1-5: 1 none, 5 marked).

  /usr/bin/python3 training/attribute_check.py [--members ship] [--out training/attributes.json] [--write]

--write: the figures into models/README.md's attributes block, and into models/manifest.json
`models.characterizer.spiculation`: `assessed` is true only when the margin output separates
spiculated from other eligible nodules on both choosing sets (calibration and dev seeds: AUC >= 0.80
and at least half the spiculated ones called at the app's 0.5 cut); the app shows the model's margin
only then, and otherwise leaves it to the reader (findings carry `spiculated: null`). The test sets
are reported, never used for that choice.

--members: the run-name prefix of the 8 members (runs/char/<prefix>-k<slab>-seed<0,1>), or '+'-joined run
names: `ship` are the
shipped members rebuilt from characterizer.onnx by onnx_members.py. Every test nodule is scored by
all of them, as the app does: their positives are LIDC-IDRI-0002's insertions only.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import torch

from char_data import Series, load_mined, luna_marks
from common import HERE, MINED, MODELS, RUNS, SHARED, TYPE_ORDER
from cv_report import (CALIBRATION_SEEDS, DEV_SEEDS, SHARP_TEST, TEST_SEEDS, THICK_PREFIX, THICK_TEST_SEEDS,
                       calibrated, fused_logit, fusion_spec, heat_of, load_net)
from train_char import load_backgrounds, score

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIC_CUT = 0.5  # src/core/inference/characterize.ts


def heads(net, cubes, batch=128):
    """(p_nodule, p_type [N,3], p_spiculated) as the exported ensemble computes them."""
    out = ([], [], [])
    with torch.no_grad():
        for i in range(0, len(cubes), batch):
            r = net(torch.from_numpy(cubes[i:i + batch].astype(np.float32)))
            for k in range(3):
                out[k].append(r[k].numpy())
    pn, pt, ps = (np.concatenate(o) for o in out)
    return pn[:, 0], pt, ps[:, 0]


def member_runs(members):
    """'+'-joined run names as given, or a prefix's 8 members <prefix>-k<slab>-seed<0,1>."""
    return members if '+' in members else '+'.join(f'{members}-k{k}-seed{i}' for k in range(4) for i in range(2))


def app_scores(net, s, idx, cubes, fusion):
    """The app's finding score of candidates idx of series s (their cubes given): p_nodule, fused
    with the fusion detector's heat when the models have one."""
    z = score(net, cubes, logits=True)
    if fusion is not None:
        z = fused_logit(z, heat_of(s, fusion)[idx], 1.0, fusion['weight'], fusion['heatClip'])
    return calibrated(z, 1.0)


def nodule_rows(net, series, fusion):
    rows = []
    for s in series:
        pos = np.flatnonzero(s.labels == 1)
        if len(pos) == 0:
            continue
        cubes = load_mined(s.prefix)[1][pos]
        pn, pt, ps = heads(net, cubes)
        sc = app_scores(net, s, pos, cubes, fusion)
        best = {}
        for j, q in enumerate(pos):
            h = s.hit[q]
            if h not in best or sc[j] > sc[best[h]]:
                best[h] = j
        for h, j in best.items():
            n = s.inserted[h]
            rows.append({'series': s.name, 'id': n['id'], 'diameterMm': n['diameterMm'], 'type': n['type'],
                         'spiculated': bool(n['spiculated']), 'attachment': n['attachment'],
                         'pNodule': float(pn[j]), 'score': float(sc[j]), 'predType': TYPE_ORDER[int(np.argmax(pt[j]))],
                         'pType': [round(float(v), 4) for v in pt[j]], 'pSpiculated': float(ps[j])})
    return rows


def auc(pos, neg):
    """Mann-Whitney AUC (ties count half); None when a class is empty."""
    if not len(pos) or not len(neg):
        return None
    pos, neg = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def summarise(rows, threshold):
    out = {'nodules': len(rows)}
    for label, g in (('with a candidate', rows), ('found at the threshold', [r for r in rows if r['score'] >= threshold])):
        conf = {t: {u: 0 for u in TYPE_ORDER} for t in TYPE_ORDER}
        for r in g:
            conf[r['type']][r['predType']] += 1
        # Spiculation can only be true for solid / part-solid nodules >= 6 mm: the comparison that
        # says something is among those (smaller and ground-glass ones are never spiculated).
        elig = [r for r in g if r['diameterMm'] >= 6 and r['type'] != 'ground-glass']
        sp = [r['pSpiculated'] for r in elig if r['spiculated']]
        nsp = [r['pSpiculated'] for r in elig if not r['spiculated']]
        out[label] = {
            'nodules': len(g),
            'typeAccuracy': round(float(np.mean([r['predType'] == r['type'] for r in g])), 4) if g else None,
            'typeConfusion': conf,
            'spiculation': {
                'eligible': len(elig), 'spiculated': len(sp),
                'auc': None if auc(sp, nsp) is None else round(auc(sp, nsp), 4),
                'sensitivityAtCut': round(float(np.mean(np.array(sp) >= SPIC_CUT)), 4) if sp else None,
                'specificityAtCut': round(float(np.mean(np.array(nsp) < SPIC_CUT)), 4) if nsp else None,
                'falseSpiculatedOutsideEligible': int(sum(r['pSpiculated'] >= SPIC_CUT for r in g if r not in elig)),
                'outsideEligible': len(g) - len(elig),
            },
        }
    return out


def reader_ratings(study):
    """Texture and spiculation of every reader's mark with characteristics (nodules >= 3 mm)."""
    xml = glob.glob(os.path.join(RUNS, 'cache', f'LIDC-IDRI-{study}', '**', '*.xml'), recursive=True)
    if xml:
        text = open(xml[0], 'rb').read()
    else:
        text = subprocess.run(['tar', '-xJOf', os.path.join(SHARED, 'ct', f'LIDC-IDRI-{study}.tar.xz'), '--wildcards', '*.xml'],
                              check=True, capture_output=True).stdout
    root = ET.fromstring(text)
    strip = lambda tag: tag.split('}', 1)[-1]
    marks = []
    for el in root.iter():
        if strip(el.tag) != 'unblindedReadNodule':
            continue
        ch = next((c for c in el if strip(c.tag) == 'characteristics'), None)
        if ch is None or not len(ch):
            continue
        vals = {strip(c.tag): c.text for c in ch}
        marks.append({'texture': int(vals['texture']), 'spiculation': int(vals['spiculation'])})
    return marks


def real_nodules(net, study, kind, fusion):
    """The characterizer on a real scan's nodules: LUNA16's (kind 'nodule'), or the excluded marks
    with a diameter (kind 'contoured': a nodule >= 3 mm that fewer than three readers marked; each
    reader's mark is a row, so marks within an earlier one's radius are the same nodule)."""
    s = Series(study, os.path.join(MINED, study), cubes=False)
    cubes = load_mined(s.prefix)[1]
    world = np.array([c['world'] for c in s.meta['candidates']]).reshape(-1, 3)
    out, seen = [], []
    for p, r, k in luna_marks(s.source_uid):
        if kind == 'nodule' and k != 'nodule' or kind == 'contoured' and (k != 'excluded' or not r):
            continue
        if any(np.linalg.norm(p - q) <= rq for q, rq in seen):
            continue
        seen.append((p, r))
        hits = np.flatnonzero(np.linalg.norm(world - p, axis=1) <= r)
        if not len(hits):
            out.append({'worldLps': p.round(2).tolist(), 'diameterMm': round(2 * r, 1), 'candidate': False})
            continue
        pn, pt, ps = heads(net, cubes[hits])
        sc = app_scores(net, s, hits, cubes[hits], fusion)
        j = int(np.argmax(sc))
        out.append({'worldLps': p.round(2).tolist(), 'diameterMm': round(2 * r, 1), 'candidate': True,
                    'pNodule': round(float(pn[j]), 4), 'score': round(float(sc[j]), 4), 'predType': TYPE_ORDER[int(np.argmax(pt[j]))],
                    'pType': [round(float(v), 4) for v in pt[j]], 'pSpiculated': round(float(ps[j]), 4),
                    'pSpiculatedRange': [round(float(ps.min()), 4), round(float(ps.max()), 4)], 'hittingCandidates': int(len(hits))})
    return {'study': study, 'kind': kind, 'nodules': out, 'readers': reader_ratings(study.split('-')[-1])}


# The real nodules with reader ratings: LIDC-IDRI-0001's LUNA16 nodule (four readers) and
# LIDC-IDRI-0002's ground-glass nodule (two readers; a LUNA16 excluded mark). LIDC-IDRI-0002 is
# the members' training background, but that nodule's surroundings were never labelled (excluded
# marks are ignored in training), and its type and margin heads learned from insertions only.
REAL = (('LIDC-IDRI-0001', 'nodule'), ('LIDC-IDRI-0002', 'contoured'))


CHOOSING = ('calibration', 'dev')
MIN_AUC = 0.80
MIN_SENSITIVITY = 0.5


def spiculation_decision(report):
    sp = {k: report['sets'][k]['with a candidate']['spiculation'] for k in report['sets']}
    ok = all(sp[k]['auc'] is not None and sp[k]['auc'] >= MIN_AUC and (sp[k]['sensitivityAtCut'] or 0) >= MIN_SENSITIVITY
             for k in CHOOSING)
    return {
        'assessed': bool(ok),
        'criterion': f'margin output used only with AUC >= {MIN_AUC} and sensitivity >= {MIN_SENSITIVITY} at p >= {SPIC_CUT} '
                     f'for spiculated vs other solid / part-solid nodules >= 6 mm on both {" and ".join(CHOOSING)} seeds',
        'auc': {k: sp[k]['auc'] for k in sp},
        'sensitivityAtCut': {k: sp[k]['sensitivityAtCut'] for k in sp},
        'measuredBy': 'training/attribute_check.py',
        'characterizerSha256': report['characterizerSha256'],
    }


def write_manifest_block(report):
    path = os.path.join(MODELS, 'manifest.json')
    manifest = json.load(open(path))
    ch = manifest['models']['characterizer']
    if ch['sha256'] != report['characterizerSha256']:
        raise SystemExit(f'{path}: the characterizer is not the one measured ({ch["sha256"][:12]} vs {report["characterizerSha256"][:12]})')
    ch['spiculation'] = spiculation_decision(report)
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


def block(report):
    """Markdown for the model card."""
    lines = ['| set | nodules with a candidate | type right | spiculation: eligible (spiculated) | AUC | '
             f'at p >= {SPIC_CUT}: sensitivity, specificity | called spiculated though never (< 6 mm or ground-glass) |',
             '|---|---|---|---|---|---|---|']
    for name, v in report['sets'].items():
        a = v['with a candidate']
        sp = a['spiculation']
        f = lambda x: '-' if x is None else f'{x:.3f}'
        lines.append(f"| {name} | {a['nodules']} | {f(a['typeAccuracy'])} | {sp['eligible']} ({sp['spiculated']}) | {f(sp['auc'])} | "
                     f"{f(sp['sensitivityAtCut'])}, {f(sp['specificityAtCut'])} | {sp['falseSpiculatedOutsideEligible']} of {sp['outsideEligible']} |")
    test = report['sets']['test']['with a candidate']['typeConfusion']
    lines += ['', 'Type on the test seeds (rows: inserted; columns: called):', '',
              '| inserted \\ called | ' + ' | '.join(TYPE_ORDER) + ' |', '|---|' + '---|' * len(TYPE_ORDER)]
    for t in TYPE_ORDER:
        lines.append(f'| {t} | ' + ' | '.join(str(test[t][u]) for u in TYPE_ORDER) + ' |')
    for real in report['real']:
        rd = real['readers']
        label = 'LUNA16' if real['kind'] == 'nodule' else 'LUNA16 excluded mark, contoured by'
        for n in real['nodules']:
            if not n.get('candidate'):
                lines += ['', f"Real nodule of {real['study']} ({n['diameterMm']} mm): no candidate."]
                continue
            who = f"{label} {len(rd)} readers" if real['kind'] != 'nodule' else f"LUNA16 {n['diameterMm']} mm"
            lines += ['', f"Real nodule of {real['study']} ({who}): called **{n['predType']}** "
                          f"(p {' / '.join(f'{v:.3f}' for v in n['pType'])} for {' / '.join(TYPE_ORDER)}), p_spiculated "
                          f"**{n['pSpiculated']:.3f}** ({n['pSpiculatedRange'][0]:.3f}-{n['pSpiculatedRange'][1]:.3f} over its "
                          f"{n['hittingCandidates']} candidates); its {len(rd)} readers rate texture "
                          f"{', '.join(str(r['texture']) for r in rd)} (1 = ground-glass, 5 = solid) and spiculation "
                          f"{', '.join(str(r['spiculation']) for r in rd)} (1 = none, 5 = marked)."]
    d = spiculation_decision(report)
    lines += ['', f"**Margin shown by the app: {'the model' + chr(39) + 's call' if d['assessed'] else 'no (not assessed)'}** "
                  f"({d['criterion']}; manifest `characterizer.spiculation`). "
                  + ('' if d['assessed'] else 'Findings carry `spiculated: null`; the reader sets the margin when accepting or '
                     'editing, and Lung-RADS 4X and the Brock risk follow that call.')]
    lines += ['', f"Measured by `training/attribute_check.py` with members `{report['members']}` "
                  f"(`{report.get('out', 'training/runs/attributes.json')}`)."]
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--members', default='ship')
    # The card cites this file: in git, not in runs/ (which goes with its machine; session 46).
    ap.add_argument('--out', default=os.path.join(HERE, 'attributes.json'))
    ap.add_argument('--write', action='store_true')
    a = ap.parse_args()
    runs = member_runs(a.members)
    net = load_net(os.path.join(RUNS, 'char', runs, 'model.pt'))
    threshold = json.load(open(os.path.join(MODELS, 'manifest.json')))['operatingPoint']['threshold']
    plain = lambda n: '-k' not in n and '-t' not in n
    sets = {
        'test': lambda n: plain(n) and n.endswith(TEST_SEEDS),
        'sharp test': lambda n: n in SHARP_TEST,
        'thick test': lambda n: n.startswith(THICK_PREFIX) and n.endswith(THICK_TEST_SEEDS),
        'dev': lambda n: plain(n) and n.endswith(DEV_SEEDS),
        'calibration': lambda n: plain(n) and n.endswith(CALIBRATION_SEEDS),
    }
    onnx = os.path.join(MODELS, 'characterizer.onnx')
    fusion = fusion_spec()
    report = {'members': runs, 'threshold': threshold, 'fusion': fusion, 'sets': {}, 'rows': {},
              'characterizerSha256': hashlib.sha256(open(onnx, 'rb').read()).hexdigest()}
    for name, keep in sets.items():
        ser = [s for s in load_backgrounds(['LIDC-IDRI-0001'], keep, cubes=False) if s.inserted]
        rows = nodule_rows(net, ser, fusion)
        report['rows'][name] = rows
        report['sets'][name] = {'scans': len(ser), **summarise(rows, threshold)}
        print(name, json.dumps(report['sets'][name]['with a candidate']), flush=True)
    report['real'] = [real_nodules(net, study, kind, fusion) for study, kind in REAL]
    print(json.dumps(report['real']))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    report['out'] = os.path.relpath(a.out, os.path.dirname(MODELS))
    json.dump(report, open(a.out, 'w'), indent=1)
    if a.write:
        write_manifest_block(report)
        path = os.path.join(MODELS, 'README.md')
        begin, end = '<!-- attributes:begin (written by training/attribute_check.py) -->', '<!-- attributes:end -->'
        text = open(path).read()
        if begin not in text or end not in text:
            raise SystemExit(f'{path}: no {begin} ... {end} block')
        head, rest = text.split(begin, 1)
        open(path, 'w').write(head + begin + '\n' + block(report) + '\n' + end + rest.split(end, 1)[1])


if __name__ == '__main__':
    main()
