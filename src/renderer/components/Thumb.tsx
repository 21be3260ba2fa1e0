import { useEffect, useRef } from 'react';
import type { Thumbnail } from '../../shared/ipc-contract';

/** Draws an 8-bit grey thumbnail into a canvas (no data: URLs needed). */
export function Thumb({ thumb }: { thumb: Thumbnail | undefined }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || !thumb) return;
    const img = ctx.createImageData(thumb.width, thumb.height);
    thumb.gray.forEach((g, i) => {
      img.data[i * 4] = g;
      img.data[i * 4 + 1] = g;
      img.data[i * 4 + 2] = g;
      img.data[i * 4 + 3] = 255;
    });
    ctx.putImageData(img, 0, 0);
  }, [thumb]);
  return <canvas ref={ref} className="thumb" width={thumb?.width ?? 96} height={thumb?.height ?? 96} />;
}
