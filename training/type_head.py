#!/usr/bin/env python3
"""The characterizer's type head fitted again on frozen members; nothing else in the graph moves.

Why: small part-solid nodules with a faint ground-glass rim (insert_nodules.py --mix faint, rims
of -750..-600 HU) are called solid by the shipped members, trained on rims of -600..-450 HU, and
below 12 mm no density rule can tell (nodule-outline.ts): a 6-10 mm part-solid nodule is then
listed at its 2-5 mm core (training/README, session 38). p_nodule decides what is listed and
every detection figure; refitting only `head_type` (a 32 -> 3 linear layer per member, on the
members' own frozen features) changes the type call and nothing that p_nodule decides.

The 8 members' type logits are averaged in the graph, so the 8 heads are fitted together: a
linear model over the members' concatenated features, cross-entropy of the averaged logits,
each nodule weighing the same however many candidates hit it, an L2 pull towards the shipped
heads (lambda, chosen on the choosing series' nodules, never on the test series), cubes seen
under the 16 symmetries of an axial cube (train_char.TTA_ORDER).

  type_head.py fit --train A.npz... --choose B.npz... [--test C.npz...] --out DIR
  type_head.py export --heads DIR/heads.pt --models OUT_DIR      (a models folder for the app)
  type_head.py ship --heads DIR/heads.pt --fit DIR/fit.json [--app LABEL=BEFORE.json,AFTER.json ...]
      (into models/: characterizer.onnx, the manifest's sha256, size and `typeHead` record, and the
      model card's type-head block; --app: training/type_check.ts outputs before and after)
Data: training/type_mine.sh (the app's cubes at candidates inside inserted nodules).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODELS, TYPE_ORDER, p_nodule_threshold  # noqa: E402
from onnx_members import member_nets  # noqa: E402
from train_char import TTA_ORDER, symmetry  # noqa: E402

LAMBDAS = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001]


def features(nets, cubes, batch=256):
    """[N, M, 32]: each member's normed class token (its heads' input) for every cube."""
    out = []
    with torch.no_grad():
        for s in range(0, len(cubes), batch):
            x = torch.from_numpy(cubes[s:s + batch].astype(np.float32))
            rays = nets[0].rays(x)  # the stem is fixed and the same in every member
            out.append(torch.stack([m.features_from_rays(*rays) for m in nets], 1))
    return torch.cat(out)


def p_nodule(nets, z):
    with torch.no_grad():
        return torch.sigmoid(torch.stack([m.head_nodule(z[:, j]) for j, m in enumerate(nets)]).mean(0)).squeeze(1)


def load(paths):
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class HeadSet:
    """The 8 heads as one [M, 3, 32] weight and [M, 3] bias; logits = mean over members."""

    def __init__(self, nets):
        self.w0 = torch.stack([m.head_type.weight.detach().clone() for m in nets])
        self.b0 = torch.stack([m.head_type.bias.detach().clone() for m in nets])

    @staticmethod
    def logits(z, w, b):
        return (torch.einsum('nmd,mkd->nmk', z, w) + b[None]).mean(1)


def fit(z, y, weight, w0, b0, lam, steps=400):
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=steps, line_search_fn='strong_wolfe')
    scale = float(w0.pow(2).sum() + b0.pow(2).sum())

    def closure():
        opt.zero_grad()
        ce = (F.cross_entropy(HeadSet.logits(z, w, b), y, reduction='none') * weight).sum() / weight.sum()
        reg = lam * ((w - w0).pow(2).sum() + (b - b0).pow(2).sum()) / scale
        loss = ce + reg
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def nodule_calls(d, z, pn, w, b):
    """Per inserted nodule: the type called at its strongest candidate (the app lists the
    candidate with the highest p_nodule of those merged into one finding)."""
    return calls_at_strongest(d, HeadSet.logits(z, w, b), pn)


def calls_at_strongest(d, logits, pn):
    """nodule_calls for any type logits [N, 3] of the candidates of d."""
    calls = logits.argmax(1).numpy()
    key = np.char.add(np.char.add(d['series'], '/'), d['nodule_id'])
    out = {}
    for i in np.argsort(-pn.numpy()):
        out.setdefault(key[i], (int(d['type_idx'][i]), int(calls[i]), float(d['diameter_mm'][i]), float(pn[i])))
    return out


def summary(calls, threshold):
    """Over the nodules the app lists: their strongest candidate at or above the threshold."""
    rows = [r for r in calls.values() if r[3] >= threshold]
    conf = np.zeros((3, 3), int)
    for t, c, _, _ in rows:
        conf[t, c] += 1
    small_ps = [(t, c) for t, c, dmm, _ in rows if t == 1 and 6 <= dmm < 10]
    return {'nodules': len(rows), 'typesRight': round(float(np.trace(conf) / max(1, conf.sum())), 3),
            'confusion(rows truth, cols call; solid, part-solid, ground-glass)': conf.tolist(),
            'partSolid6to10CalledSolid': f'{sum(c == 0 for _, c in small_ps)} of {len(small_ps)}'}


def with_solid_margin(b, margin):
    """The heads' biases with `margin` added to every member's solid logit (the averaged logits
    move by the same): a nodule is called part-solid or ground-glass only by that much more."""
    out = b.clone()
    out[:, TYPE_ORDER.index('solid')] += margin
    return out


def fit_key(lam, margin):
    return str(lam) if margin == 0 else f'{lam} solid+{margin}'


def solids_called_otherwise(row):
    return sum(row['confusion(rows truth, cols call; solid, part-solid, ground-glass)'][0][1:])


def protocol(series):
    """A series' protocol from its name (insert_nodules.py): -t<k> slices thickened, -k<a> sharpened."""
    name = series.rsplit('/', 1)[-1]
    if '-t' in name:
        return 'thicker slices'
    return 'sharp kernel' if '-k' in name else 'as acquired'


def by_protocol(calls, threshold):
    groups = sorted({protocol(k.split('/')[0]) for k in calls})
    return {g: summary({k: v for k, v in calls.items() if protocol(k.split('/')[0]) == g}, threshold) for g in groups}


def sample_weights(d):
    key = np.char.add(np.char.add(d['series'], '/'), d['nodule_id'])
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    return torch.from_numpy(1.0 / counts[inv]).float()


def augmented_features(nets, d):
    zs = [features(nets, symmetry(torch.from_numpy(d['cubes'].astype(np.float32)), t).numpy()) for t in TTA_ORDER]
    return torch.cat(zs)


def cmd_fit(a):
    nets = member_nets(a.onnx)
    heads = HeadSet(nets)
    thr = p_nodule_threshold(a.threshold)
    tr = load(a.train)
    z_tr = augmented_features(nets, tr)
    reps = len(TTA_ORDER)
    y_tr = torch.from_numpy(np.tile(tr['type_idx'], reps))
    w_tr = sample_weights(tr).repeat(reps)
    if a.balanced:
        # Each type weighs the same in all: the faint part-solid nodules are the rarer class.
        per_type = torch.zeros(3).index_add_(0, y_tr, w_tr)
        w_tr = w_tr * (per_type.sum() / (3 * per_type.clamp(min=1e-9)))[y_tr]
    sets = {'choose': load(a.choose)}
    if a.test:
        sets['test'] = load(a.test)
    feats = {k: features(nets, d['cubes']) for k, d in sets.items()}
    pns = {k: p_nodule(nets, z) for k, z in feats.items()}
    report = {'train': {'cubes': int(len(tr['type_idx'])), 'byType': np.bincount(tr['type_idx'], minlength=3).tolist(),
                        'nodules': int(len(set(np.char.add(np.char.add(tr['series'], '/'), tr['nodule_id']).tolist()))),
                        'series': sorted(set(tr['series'].tolist()))},
              'typeOrder': TYPE_ORDER, 'threshold': thr, 'shipped': {}, 'lambdas': {}}
    for k, d in sets.items():
        calls = nodule_calls(d, feats[k], pns[k], heads.w0, heads.b0)
        report['shipped'][k] = summary(calls, thr)
        report['shipped'][k + 'ByProtocol'] = by_protocol(calls, thr)
    best = None
    fitted = {}
    solid_lost = solids_called_otherwise(report['shipped']['choose'])
    for lam in sorted(a.lambdas, reverse=True):  # a tie keeps the larger pull
        w, b0 = fit(z_tr, y_tr, w_tr, heads.w0, heads.b0, lam)
        for margin in sorted(a.solid_margins):  # and the smaller margin
            b = with_solid_margin(b0, margin)
            fitted[(lam, margin)] = (w, b)
            calls = nodule_calls(sets['choose'], feats['choose'], pns['choose'], w, b)
            row = {'choose': summary(calls, thr), 'chooseByProtocol': by_protocol(calls, thr)}
            report['lambdas'][fit_key(lam, margin)] = row
            score = row['choose']['typesRight']
            print(f'{fit_key(lam, margin)}: choose {row["choose"]}', flush=True)
            # --solid-guard: a solid nodule called part-solid is sized by a "solid part" and its
            # Lung-RADS category moves, so no fit may lose a solid nodule the shipped heads kept.
            if a.solid_guard and solids_called_otherwise(row['choose']) > solid_lost:
                continue
            if best is None or score > best[1]:
                best = ((lam, margin), score)
    if best is None:
        raise SystemExit(f'no fit keeps the {solid_lost} solid nodules called otherwise on the choosing series (--solid-guard)')
    lam, margin = best[0]
    w, b = fitted[best[0]]
    report['chosen'] = {'lambda': lam, 'solidMargin': margin, 'balanced': a.balanced, 'solidGuard': a.solid_guard}
    if 'test' in sets:
        calls = nodule_calls(sets['test'], feats['test'], pns['test'], w, b)
        report['chosen']['test'] = summary(calls, thr)
        report['chosen']['testByProtocol'] = by_protocol(calls, thr)
    os.makedirs(a.out, exist_ok=True)
    torch.save({'weight': w, 'bias': b, 'lambda': lam, 'solidMargin': margin, 'balanced': a.balanced},
               os.path.join(a.out, 'heads.pt'))
    json.dump(report, open(os.path.join(a.out, 'fit.json'), 'w'), indent=1)
    print(json.dumps(report['shipped'], indent=1))
    print(json.dumps(report['chosen'], indent=1))


def with_heads(onnx_path, h):
    """The graph with its members' head_type initializers replaced (nothing else touched)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    by_name = {i.name: i for i in m.graph.initializer}
    for j in range(h['weight'].shape[0]):
        for p, v in (('weight', h['weight'][j]), ('bias', h['bias'][j])):
            name = f'members.{j}.head_type.{p}'
            old = by_name[name]
            new = numpy_helper.from_array(v.numpy().astype(np.float32), name)
            if tuple(new.dims) != tuple(old.dims):
                raise SystemExit(f'{name}: shape {tuple(new.dims)} against the graph\'s {tuple(old.dims)}')
            old.CopyFrom(new)
    return m


def unchanged_but_type_heads(base, new):
    """Checks that two graphs differ in the members' head_type initializers only: the same nodes,
    every other initializer byte for byte, so p_nodule and p_spiculated are the base's exactly."""
    if list(base.graph.node) != list(new.graph.node):
        raise SystemExit('the refitted graph\'s nodes differ from the base graph\'s')
    a = {i.name: i.SerializeToString() for i in base.graph.initializer}
    b = {i.name: i.SerializeToString() for i in new.graph.initializer}
    if set(a) != set(b):
        raise SystemExit('the refitted graph\'s initializers are not the base graph\'s')
    changed = sorted(k for k in a if a[k] != b[k])
    if any('.head_type.' not in k for k in changed):
        raise SystemExit(f'initializers other than head_type changed: {[k for k in changed if ".head_type." not in k]}')
    return changed


def cmd_export(a):
    """A copy of models/ whose characterizer.onnx has the fitted heads (only those initializers
    are replaced: every other output of the graph is bit for bit the shipped one's)."""
    import onnx
    if os.path.exists(a.models):
        raise SystemExit(f'{a.models} exists: pick a new folder')
    h = torch.load(a.heads)
    m = with_heads(a.onnx, h)
    unchanged_but_type_heads(onnx.load(a.onnx), m)
    shutil.copytree(MODELS, a.models)
    path = os.path.join(a.models, 'characterizer.onnx')
    os.remove(path)  # the copy this command just made
    onnx.save(m, path)
    data = open(path, 'rb').read()
    manifest = json.load(open(os.path.join(a.models, 'manifest.json')))
    manifest['models']['characterizer']['sha256'] = hashlib.sha256(data).hexdigest()
    manifest['models']['characterizer']['sizeBytes'] = len(data)
    json.dump(manifest, open(os.path.join(a.models, 'manifest.json'), 'w'), indent=2)
    print(f'{path}: {len(data)} bytes, heads of lambda {h["lambda"]}')


def app_rows(before, after):
    """type_check.ts outputs before and after, over the nodules both matched: types right and the
    part-solid nodules' mean diameter error."""
    ra = {r['id']: r for r in json.load(open(before))['rows']}
    rb = {r['id']: r for r in json.load(open(after))['rows']}
    ids = sorted(set(ra) & set(rb))
    out = {'matched': len(ids), 'changedType': sum(ra[i]['type'] != rb[i]['type'] for i in ids)}
    for k, r in (('before', ra), ('after', rb)):
        ps = [r[i] for i in ids if r[i]['insertedType'] == 'part-solid']
        out[k] = {'typesRight': sum(r[i]['type'] == r[i]['insertedType'] for i in ids),
                  'partSolid': len(ps), 'partSolidCalledSolid': sum(x['type'] == 'solid' for x in ps),
                  'partSolidDiameterMaeMm': round(float(np.mean([abs(x['diameterMm'] - x['insertedMm']) for x in ps])), 2) if ps else None,
                  'solidCalledOther': sum(r[i]['type'] != 'solid' for i in ids if r[i]['insertedType'] == 'solid')}
    return out


def card_block(rec):
    k = 'confusion(rows truth, cols call; solid, part-solid, ground-glass)'
    lines = ['| set (model call at the strongest candidate of each nodule listed) | nodules | types right: shipped heads -> refitted | '
             'part-solid called solid | part-solid 6-10 mm called solid |', '|---|---|---|---|---|']
    for name, v in rec['cubeFigures'].items():
        b, f = v['before'], v['after']
        lines.append(f"| {name} | {b['nodules']} | {b['typesRight']:.3f} -> {f['typesRight']:.3f} | "
                     f"{b[k][1][0]} -> {f[k][1][0]} | {b['partSolid6to10CalledSolid']} -> {f['partSolid6to10CalledSolid']} |")
    if rec.get('appFigures'):
        lines += ['', '| through the app (training/type_check.ts, density rules and outlines included) | nodules | types right | '
                  'part-solid called solid | part-solid diameter MAE (mm) | solid called otherwise |', '|---|---|---|---|---|---|']
        for name, v in rec['appFigures'].items():
            b, f = v['before'], v['after']
            lines.append(f"| {name} | {v['matched']} | {b['typesRight']} -> {f['typesRight']} | {b['partSolidCalledSolid']} -> "
                         f"{f['partSolidCalledSolid']} of {b['partSolid']} | {b['partSolidDiameterMaeMm']} -> {f['partSolidDiameterMaeMm']} | "
                         f"{b['solidCalledOther']} -> {f['solidCalledOther']} |")
    lines += ['', f"Only `head_type` of the {rec['members']} members was refitted (lambda {rec['lambda']}; "
                  f"{rec['train']['nodules']} inserted nodules, {rec['train']['cubes']} candidate cubes of "
                  f"{len(rec['train']['series'])} LIDC-IDRI-0002 series); every other initializer and node of the graph is "
                  f"byte for byte the base file's (`{rec['baseSha256'][:12]}...`), so p_nodule and p_spiculated, and every "
                  'figure measured with them, are unchanged. Written by `training/type_head.py ship`.']
    return '\n'.join(lines)


def cmd_ship(a):
    import onnx
    path = os.path.join(MODELS, 'characterizer.onnx')
    mpath = os.path.join(MODELS, 'manifest.json')
    manifest = json.load(open(mpath))
    ch = manifest['models']['characterizer']
    base_sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    if base_sha != ch['sha256']:
        raise SystemExit(f'{path}: sha256 differs from the manifest: refusing to replace it')
    h = torch.load(a.heads)
    base = onnx.load(path)
    m = with_heads(path, h)
    # Against the file in models/ (a second ship of the same heads changes nothing): the count
    # kept is the largest against the base file.
    changed = unchanged_but_type_heads(base, m)
    fitrep = json.load(open(a.fit))
    rec = {'refittedBy': 'training/type_head.py', 'baseSha256': ch.get('typeHead', {}).get('baseSha256', base_sha),
           'members': h['weight'].shape[0], 'lambda': h['lambda'], 'solidMargin': float(h.get('solidMargin', 0.0)),
           'balanced': bool(h.get('balanced', False)),
           'changedInitializers': max(len(changed), ch.get('typeHead', {}).get('changedInitializers', 0)), 'train': fitrep['train'], 'threshold': fitrep['threshold'],
           'cubeFigures': {}, 'appFigures': {}}
    for name in (n for n in fitrep['shipped'] if not n.endswith('ByProtocol')):
        after = (fitrep['lambdas'][fit_key(h['lambda'], h.get('solidMargin', 0.0))].get(name) if name == 'choose'
                 else fitrep['chosen'].get(name))
        label = {'choose': 'choosing (LIDC-IDRI-0001 insertions the lambda was chosen on)',
                 'test': 'test (LIDC-IDRI-0001 insertions read once, after the choice)'}.get(name, name)
        rec['cubeFigures'][label] = {'before': fitrep['shipped'][name], 'after': after}
    for spec in a.app or []:
        label, files = spec.split('=', 1)
        before, after = files.split(',')
        rec['appFigures'][label] = app_rows(before, after)
    tmp = path + '.tmp'
    onnx.save(m, tmp)
    os.replace(tmp, path)
    data = open(path, 'rb').read()
    ch['sha256'] = hashlib.sha256(data).hexdigest()
    ch['sizeBytes'] = len(data)
    ch['typeHead'] = rec
    with open(mpath, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    card = os.path.join(MODELS, 'README.md')
    begin, end = '<!-- type-head:begin (written by training/type_head.py) -->', '<!-- type-head:end -->'
    text = open(card).read()
    if begin not in text:
        raise SystemExit(f'{card}: no {begin} ... {end} block')
    head, rest = text.split(begin, 1)
    open(card, 'w').write(head + begin + '\n' + card_block(rec) + '\n' + end + rest.split(end, 1)[1])
    print(f'{path}: sha256 {ch["sha256"]}, {rec["changedInitializers"]} head_type initializers refitted')


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('fit')
    f.add_argument('--train', nargs='+', required=True)
    f.add_argument('--choose', nargs='+', required=True)
    f.add_argument('--test', nargs='+')
    f.add_argument('--lambdas', nargs='+', type=float, default=LAMBDAS)
    f.add_argument('--balanced', action='store_true', help='weigh the three types equally')
    f.add_argument('--solid-margins', nargs='+', type=float, default=[0.0],
                   help='logit margins added to the solid class after each fit, tried with every lambda')
    f.add_argument('--solid-guard', action='store_true',
                   help='only pulls that call no more listed solid choosing nodules otherwise than the shipped heads')
    f.add_argument('--out', required=True)
    f.add_argument('--threshold', type=float, help="p_nodule's (needed when the manifest's is on a fused score)")
    f.add_argument('--onnx', default=os.path.join(MODELS, 'characterizer.onnx'))
    e = sub.add_parser('export')
    e.add_argument('--heads', required=True)
    e.add_argument('--models', required=True)
    e.add_argument('--onnx', default=os.path.join(MODELS, 'characterizer.onnx'))
    s = sub.add_parser('ship')
    s.add_argument('--heads', required=True)
    s.add_argument('--fit', required=True)
    s.add_argument('--app', action='append', help='LABEL=BEFORE.json,AFTER.json (training/type_check.ts outputs)')
    a = ap.parse_args()
    torch.set_num_threads(1)
    {'fit': cmd_fit, 'export': cmd_export, 'ship': cmd_ship}[a.cmd](a)


if __name__ == '__main__':
    main()
