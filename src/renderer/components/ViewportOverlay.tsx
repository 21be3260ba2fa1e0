import type { LoadedSeriesInfo } from '../../shared/ipc-contract';
import { useViewer } from '../stores';
import type { ViewportId } from '../store/viewer-store';
import { imageNumberLabel } from '../../common/image-number';
import { scaleBarMm } from '../viewer/orientation';
import { formatDate } from './StudyBrowser';

/** Corner text, orientation letters and scale bar, drawn over (not into) the image. */
export function ViewportOverlay({
  id,
  label,
  info,
}: {
  id: ViewportId;
  label: string;
  info: LoadedSeriesInfo;
}) {
  const r = useViewer((s) => s.readouts[id]);
  const mip = useViewer((s) => s.mip);
  const slab = useViewer((s) => s.slabMm);
  const invert = useViewer((s) => s.invert);
  const m = info.metadata;
  const barMm = r ? scaleBarMm(r.mmPerPixel) : 0;
  return (
    <div className="overlay" aria-hidden="false" data-overlay-for={id}>
      <div className="corner tl" data-testid={`demographics-${id}`}>
        <div>{m.patientName || 'Anonymous'}</div>
        <div>ID {m.patientId || '–'}</div>
        <div>{[m.patientSex, m.patientAge].filter(Boolean).join(' / ') || 'Sex/age not recorded'}</div>
      </div>
      <div className="corner tr">
        {m.institutionName && <div data-testid={`institution-${id}`}>{m.institutionName}</div>}
        <div>
          {formatDate(m.studyDate)} {m.studyDescription}
        </div>
        <div>
          Se {m.seriesNumber ?? '–'} {m.seriesDescription}
        </div>
      </div>
      <div className="corner bl">
        <div className="vp-label">
          {label}
          {mip || id === 'mip' ? ` · MIP ${slab} mm` : ''}
        </div>
        {r && (
          <>
            <div data-testid={`slice-${id}`}>
              {id === 'axial'
                ? `Im ${imageNumberLabel(info.instanceNumbers[r.sliceIndex], r.sliceIndex)}/${r.sliceCount}`
                : `Sl ${r.sliceIndex + 1}/${r.sliceCount}`}
            </div>
            <div>Pos {r.slicePositionMm.toFixed(1)} mm</div>
          </>
        )}
      </div>
      <div className="corner br">
        {r && (
          <>
            <div data-testid={`zoom-${id}`}>Zoom {r.zoomPercent}%</div>
            <div data-testid={`window-${id}`}>
              W {r.windowWidth} L {r.windowCenter}
              {invert ? ' · inverted' : ''}
            </div>
          </>
        )}
        <div>
          {m.convolutionKernel} {m.sliceThicknessMm ? `${m.sliceThicknessMm} mm` : ''}
        </div>
      </div>
      {r && (
        <>
          <div className="marker left">{r.markers.left}</div>
          <div className="marker right">{r.markers.right}</div>
          <div className="marker top">{r.markers.top}</div>
          <div className="marker bottom">{r.markers.bottom}</div>
          {barMm > 0 && (
            <div className="scalebar" style={{ width: `${barMm / r.mmPerPixel}px` }}>
              <span>{barMm} mm</span>
            </div>
          )}
        </>
      )}
    </div>
  );
}
