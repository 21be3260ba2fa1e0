"""The two PulmoLens networks. Kept small on purpose: they train on 2 CPU cores in under an hour
and run sliding-window inference over a whole chest CT in seconds."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


def heatmap_loss(logits, y, pos_weight, w=None):
    """The detector's loss (v1 train.py and v2 train_det.py): BCE with positive voxels weighted by
    pos_weight, plus soft Dice; w weights voxels (0: ignored), None weighs them all 1.
    Returns (loss, bce, dice)."""
    if w is None:
        w = torch.ones_like(y)
    p = torch.sigmoid(logits) * w
    bce = (F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight, reduction='none') * w).sum() / w.sum().clamp(min=1)
    dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + (y * w).sum() + 1)
    return bce + dice, bce, dice


class Detector(nn.Module):
    """Compact 3D U-Net: full-resolution stem, three stride-2 levels (most compute at 1/2..1/8
    resolution), transposed-convolution decoder with additive skips, per-voxel sigmoid.
    Input and output [N,1,Z,Y,X]; Z, Y, X must be multiples of 8."""

    def __init__(self, c=(8, 16, 32, 64)):
        super().__init__()
        c0, c1, c2, c3 = c
        self.stem = conv_bn(1, c0)
        self.down1 = nn.Sequential(conv_bn(c0, c1, 2), conv_bn(c1, c1))
        self.down2 = nn.Sequential(conv_bn(c1, c2, 2), conv_bn(c2, c2))
        self.down3 = nn.Sequential(conv_bn(c2, c3, 2), conv_bn(c3, c3))
        self.up2 = nn.ConvTranspose3d(c3, c2, 2, stride=2)
        self.dec2 = conv_bn(c2, c2)
        self.up1 = nn.ConvTranspose3d(c2, c1, 2, stride=2)
        self.dec1 = conv_bn(c1, c1)
        self.up0 = nn.ConvTranspose3d(c1, c0, 2, stride=2)
        self.head = nn.Conv3d(c0, 1, 1)

    def logits(self, x):
        s0 = self.stem(x)
        s1 = self.down1(s0)
        s2 = self.down2(s1)
        s3 = self.down3(s2)
        d2 = self.dec2(self.up2(s3) + s2)
        d1 = self.dec1(self.up1(d2) + s1)
        # No full-resolution decoder convolution: it would double the cost for little gain.
        d0 = F.relu(self.up0(d1) + s0)
        return self.head(d0)

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


class TokenLinear(nn.Linear):
    """nn.Linear over tokens [N, T, C] computed as a 1-wide convolution: on the Debian CPU torch
    (no MKL) the convolution path is ~10x faster than the BLAS matmul behind F.linear, and the
    ONNX graph gets a plain Conv. Same parameters and result as nn.Linear."""

    def forward(self, x):
        return F.conv1d(x.transpose(1, 2), self.weight[:, :, None], self.bias).transpose(1, 2)


class EncoderLayer(nn.Module):
    """Pre-norm Transformer encoder layer written with plain matmuls, so the ONNX graph uses only
    basic operators (no fused attention kernels that differ between PyTorch versions)."""

    def __init__(self, dim, heads, mlp_ratio=2, dropout=0.1, linear=nn.Linear):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = linear(dim, 3 * dim)
        self.proj = linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(linear(dim, dim * mlp_ratio), nn.GELU(), linear(dim * mlp_ratio, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(n, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h)), dim=-1)
        y = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(n, t, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.norm2(x)))


class Characterizer(nn.Module):
    """Convolutional stem (32^3 -> 4^3 tokens of width `dim`) feeding a small Transformer
    encoder with a class token; three heads: nodule vs not, type (solid, part-solid,
    ground-glass), spiculated margin. v2 (model contract v2) has in_ch=2: the 32^3 cube at 1 mm
    and the 32^3 context cube at 2 mm around the same centre, stacked as channels."""

    def __init__(self, dim=64, depth=2, heads=4, in_ch=1):
        super().__init__()
        if in_ch == 1:
            self.stem = nn.Sequential(
                conv_bn(in_ch, 16, 2),  # 16^3
                conv_bn(16, 32),
                conv_bn(32, 48, 2),  # 8^3
                conv_bn(48, dim, 2),  # 4^3
            )
        else:
            # v2: about 6x fewer multiply-adds than v1 (trains on 2 shared CPU cores); the
            # full-resolution work is one thin strided layer, the widths grow as resolution drops.
            self.stem = nn.Sequential(
                conv_bn(in_ch, 12, 2),  # 16^3
                conv_bn(12, 24, 2),  # 8^3
                conv_bn(24, 32),
                conv_bn(32, dim, 2),  # 4^3
            )
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 1 + 64, dim) * 0.02)
        linear = nn.Linear if in_ch == 1 else TokenLinear
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, linear=linear) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head_nodule = nn.Linear(dim, 1)
        self.head_type = nn.Linear(dim, 3)
        self.head_spic = nn.Linear(dim, 1)

    def logits(self, x):
        f = self.stem(x)  # [N, dim, 4, 4, 4]
        tokens = f.flatten(2).transpose(1, 2)  # [N, 64, dim]
        cls = self.cls.expand(tokens.shape[0], -1, -1)
        t = torch.cat([cls, tokens], dim=1) + self.pos
        for layer in self.layers:
            t = layer(t)
        z = self.norm(t[:, 0])
        return self.head_nodule(z), self.head_type(z), self.head_spic(z)

    def forward(self, x):
        a, b, c = self.logits(x)
        return torch.sigmoid(a), torch.softmax(b, dim=1), torch.sigmoid(c)


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def _directions(shell=1):
    """The unit directions to the voxels on the cube shell of the given radius around a voxel, as
    (x, y, z): 26 for shell 1 (the neighbours; every shipped member), 98 for shell 2 (session 30:
    about 22 degrees apart instead of 45). Both sets are closed under the cube's rotations and flips
    (integer lattice), which augment_rays' token permutations need."""
    r = range(-shell, shell + 1)
    d = [(x, y, z) for z in r for y in r for x in r if max(abs(x), abs(y), abs(z)) == shell]
    u = torch.tensor(d, dtype=torch.float32)
    return u / u.norm(dim=1, keepdim=True)


class RayCharacterizer(nn.Module):
    """Characterizer v2 for CPU-starved training: a FIXED ray-casting stem and a small trained
    Transformer over direction tokens.

    Stem (no parameters): from the cube centre (voxel 16), 26 rays (to the 26 neighbour
    directions) sampled trilinearly at 1..14 voxels in both channels (1 mm: 1-14 mm; 2 mm context:
    2-28 mm). A nodule is dense along every ray; a vessel along two opposite ones, a pleural bump
    on one side: the shape cue of a Hessian blob filter, learned instead of fixed. Tokens = rays
    (28 values each) + a learned embedding of the ray direction; a class token carries the two
    centre values. 2-layer pre-norm Transformer (dim 32, 4 heads), three heads as in v1.
    The stem is a Gather with fixed indices and weights in the ONNX graph."""

    RADII = 14

    def __init__(self, dim=32, depth=2, heads=4, shell=1):
        super().__init__()
        u = _directions(shell)
        nd = len(u)
        self.register_buffer('dirs', u, persistent=False)
        r = torch.arange(1, self.RADII + 1, dtype=torch.float32)
        # Sample points [D, R, 3] in voxel (x, y, z), centre voxel 16 (D rays: 26 for shell 1).
        p = 16 + u[:, None, :] * r[None, :, None]
        p0 = torch.floor(p)
        f = p - p0
        idx, w = [], []
        for dz in (0, 1):
            for dy in (0, 1):
                for dx in (0, 1):
                    q = (p0 + torch.tensor([dx, dy, dz], dtype=torch.float32)).long().clamp(0, 31)
                    idx.append(q[..., 2] * 1024 + q[..., 1] * 32 + q[..., 0])
                    w.append((f[..., 0] if dx else 1 - f[..., 0]) * (f[..., 1] if dy else 1 - f[..., 1]) * (f[..., 2] if dz else 1 - f[..., 2]))
        idx = torch.stack(idx, -1)  # [D, R, 8]
        w = torch.stack(w, -1)
        # Both channels: channel c's voxels start at c * 32768 in the flattened cube pair.
        self.register_buffer('gidx', torch.cat([idx, idx + 32768], 1).reshape(-1), persistent=False)  # [D * 2R * 8]
        self.register_buffer('gw', torch.cat([w, w], 1).reshape(1, nd, 2 * self.RADII, 8), persistent=False)
        self.embed = TokenLinear(2 * self.RADII, dim)
        self.dir_embed = TokenLinear(3, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.centre_embed = TokenLinear(2, dim)
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, dropout=0.0, linear=TokenLinear) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head_nodule = nn.Linear(dim, 1)
        self.head_type = nn.Linear(dim, 3)
        self.head_spic = nn.Linear(dim, 1)

    def rays(self, x):
        """[N, 2, 32, 32, 32] -> ray profiles [N, D, 28] and centre values [N, 1, 2]."""
        n = x.shape[0]
        flat = x.reshape(n, 2 * 32768)
        v = flat[:, self.gidx].reshape(n, len(self.dirs), 2 * self.RADII, 8)
        prof = (v * self.gw).sum(-1)
        centre = x[:, :, 16, 16, 16].reshape(n, 1, 2)
        return prof, centre

    def features_from_rays(self, prof, centre):
        """The normed class token [N, dim]: the three heads' common input."""
        n = prof.shape[0]
        t = self.embed(prof) + self.dir_embed(self.dirs[None].expand(n, -1, -1))
        c = self.cls.expand(n, -1, -1) + self.centre_embed(centre)
        t = torch.cat([c, t], 1)
        for layer in self.layers:
            t = layer(t)
        return self.norm(t[:, 0])

    def logits_from_rays(self, prof, centre):
        z = self.features_from_rays(prof, centre)
        return self.head_nodule(z), self.head_type(z), self.head_spic(z)

    def logits(self, x):
        return self.logits_from_rays(*self.rays(x))

    def forward(self, x):
        a, b, c = self.logits(x)
        return torch.sigmoid(a), torch.softmax(b, dim=1), torch.sigmoid(c)


class CharacterizerEnsemble(nn.Module):
    """Several characterizers trained alike with different seeds, as one network: the mean of
    their logits per head (the p_nodule head divided by the temperature T fitted afterwards), so
    the exported file keeps the single-model contract (inputs `cubes`, outputs p_nodule, p_type,
    p_spiculated). Averaging seeds lowers the variance a small training set leaves in one model."""

    def __init__(self, members, temperature=1.0):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.temperature = float(temperature)

    def logits(self, x):
        if all(isinstance(m, RayCharacterizer) and len(m.dirs) == len(self.members[0].dirs) for m in self.members):
            # The ray stem is fixed and the same in members with the same rays: sample them once.
            rays = self.members[0].rays(x)
            outs = [m.logits_from_rays(*rays) for m in self.members]
        else:
            outs = [m.logits(x) for m in self.members]
        a, b, c = (torch.stack([o[k] for o in outs]).mean(0) for k in range(3))
        return a / self.temperature, b, c

    def forward(self, x):
        a, b, c = self.logits(x)
        return torch.sigmoid(a), torch.softmax(b, dim=1), torch.sigmoid(c)
