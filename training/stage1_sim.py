"""Offline stage-1 selection experiments on training/stage1_dump.ts output: re-implements
mergeBlobs / selectBlobs / unionCandidates (stage1.ts) with variants and reports, per variant, the
share of inserted nodules >= 4 mm (and by size / type) with a candidate within their radius, and
candidates per scan. Re-centring is not simulated.

  /usr/bin/python3 training/stage1_sim.py training/runs/s1dump/*.json
"""
import json, sys, math, collections
import numpy as np

def load(p):
    d = json.load(open(p))
    b = np.array(d['blobs'], dtype=np.float64).reshape(-1, 7)
    u = np.array(d['unet'], dtype=np.float64).reshape(-1, 5)
    return d, b, u

def mm(sp, a):
    return a[..., :3] * np.asarray(sp)

def merge(b, sp, order_key, reach_min=2.0, absorbers=None):
    """Greedy: in order_key descending, keep a blob unless within a kept blob's reach (only kept
    blobs in `absorbers`, a set of indices, absorb others when it is given)."""
    idx = np.argsort(-order_key, kind='stable')
    P = mm(sp, b)
    kept = []
    cell = 16.0
    grid = collections.defaultdict(list)
    for i in idx:
        p = P[i]
        c = tuple((p // cell).astype(int))
        hit = False
        for dz in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    for (q, r) in grid.get((c[0]+dx, c[1]+dy, c[2]+dz), ()):
                        if (p[0]-q[0])**2 + (p[1]-q[1])**2 + (p[2]-q[2])**2 < r*r:
                            hit = True; break
                    if hit: break
                if hit: break
            if hit: break
        if hit: continue
        kept.append(i)
        if absorbers is None or i in absorbers:
            grid[c].append((p, max(b[i, 3] / 2, reach_min)))
    return np.array(kept, dtype=int)

def select(b, ids, score, quota):
    ids = ids[np.argsort(-score[ids], kind='stable')]
    taken = collections.Counter(); out = []
    for i in ids:
        s = round(b[i, 3], 1)
        if taken[s] >= quota(b[i, 3]): continue
        taken[s] += 1; out.append(i)
    return np.array(out, dtype=int)

def union(bc, bscale, u, sp, ureach=True):
    """bc: blob centres (voxels), u: unet rows. Returns list of candidate centres (voxels)."""
    cands = [c for c in bc]
    Pb = mm(sp, np.asarray(bc)) if len(bc) else np.zeros((0, 3))
    has_u = [False] * len(bc)
    uonly = []
    for row in u[np.argsort(-u[:, 3])]:
        pu = mm(sp, row[:3])
        best = -1
        if len(Pb):
            d = np.sqrt(((Pb - pu) ** 2).sum(1))
            reach = np.maximum(np.asarray(bscale) / 2, 3)
            if ureach: reach = np.maximum(reach, row[4] / 2)
            ok = np.where(d <= reach)[0]
            if len(ok): best = ok[np.argmin(d[ok])]
        if best >= 0: continue
        if any(np.sqrt(((mm(sp, o) - pu) ** 2).sum()) <= 3 for o in uonly): continue
        uonly.append(row[:3])
    return cands + uonly

Q0 = lambda s: 100 if s < 5 else 60
# stage1.ts BLOB_QUOTA since session 14 (the lung-volume share is ~1 on LIDC-IDRI-0001).
Q600 = lambda s: 600 if s < 5 else 400

def run(variant, data):
    res = []
    ncand = []
    for d, b, u in data:
        sp = d['spacing']
        resp, sph, hu = b[:, 4], b[:, 5], b[:, 6]
        score = resp * sph
        v = variant
        quota = v.get('quota', Q0)
        if v.get('select_first'):
            ids = select(b, np.arange(len(b)), v.get('score', lambda r, s, h, sc: r * s)(resp, sph, hu, b[:, 3]), quota)
            sel = ids[merge(b[ids], sp, v.get('merge_key', lambda r, s: r)(resp[ids], sph[ids]))]
        else:
            m = merge(b, sp, v.get('merge_key', lambda r, s: r)(resp, sph))
            sel = select(b, m, v.get('score', lambda r, s, h, sc: r * s)(resp, sph, hu, b[:, 3]), quota)
            if v.get('release'):
                # A blob merged into one that the quota then drops is released: merge again with
                # only the selected blobs absorbing, and select again.
                m = merge(b, sp, v.get('merge_key', lambda r, s: r)(resp, sph), absorbers=set(sel.tolist()))
                sel = select(b, m, v.get('score', lambda r, s, h, sc: r * s)(resp, sph, hu, b[:, 3]), quota)
            if v.get('extra'):
                sel = np.union1d(sel, v['extra'](b, m, sel))
        uu = u[u[:, 3] >= v.get('uthr', 0.1)][: v.get('ucap', 200)]
        cands = union([b[i, :3] for i in sel], [b[i, 3] for i in sel], uu, sp, v.get('ureach', True))
        C = mm(sp, np.asarray(cands))
        ncand.append(len(cands))
        for n in d['nodules']:
            p = mm(sp, np.asarray(n['v']))
            dist = np.sqrt(((C - p) ** 2).sum(1)).min() if len(C) else 1e9
            res.append((n['d'], n['type'], n['att'], dist <= n['d'] / 2, d['name']))
    return res, ncand

def report(name, res, ncand, data):
    def rate(f):
        r = [x[3] for x in res if f(x)]
        return f"{sum(r)}/{len(r)}"
    real = [n for (d, _, _), n in zip(data, ncand) if not d['nodules']]
    ins = [n for (d, _, _), n in zip(data, ncand) if d['nodules']]
    print(f"{name:28s} >=4 {rate(lambda x: x[0] >= 4):8s} 3-6 {rate(lambda x: x[0] < 6):8s} >=6 {rate(lambda x: x[0] >= 6):8s} "
          f"GGO {rate(lambda x: x[1] == 'ground-glass'):7s} jv {rate(lambda x: x[2].startswith('juxtav')):7s} jp {rate(lambda x: x[2].startswith('juxtap')):7s} "
          f"cands ins {np.mean(ins):.0f} real {real}")

if __name__ == '__main__':
    data = [load(p) for p in sys.argv[1:]]
    V = {
        'S0 current': {},
        'S1 ureach blob only': {'ureach': False},
        'S2 merge by score': {'merge_key': lambda r, s: r * s},
        'S3 select then merge': {'select_first': True},
        'S3+S1': {'select_first': True, 'ureach': False},
        'S2+S1': {'merge_key': lambda r, s: r * s, 'ureach': False},
        'Q600 current': {'quota': Q600},
        'Q600 merge by score': {'quota': Q600, 'merge_key': lambda r, s: r * s},
        'Q600 release': {'quota': Q600, 'release': True},
        'Q600 select then merge': {'quota': Q600, 'select_first': True},
    }
    for k, v in V.items():
        res, nc = run(v, data)
        report(k, res, nc, data)
