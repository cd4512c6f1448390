import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';

/** One line of a {@link TimeChart}. */
export interface ChartSeries {
  label: string;
  values: Array<number | null | undefined>;
  color: string;
  dash?: number[];
}

/**
 * A time-series chart (uPlot: canvas, ~50 KB, draws thousands of points without a virtual DOM).
 * `times` are ms since the epoch; the chart is rebuilt when the series' labels change and only
 * fed new data otherwise.
 */
export function TimeChart({ title, times, series, height = 220, testId }: { title: string; times: number[]; series: ChartSeries[]; height?: number; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');
  const data: AlignedData = [times.map((t) => t / 1000), ...series.map((s) => s.values.map((v) => (v === undefined ? null : v)))];

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const options: Options = {
      width: Math.max(300, el.clientWidth),
      height,
      // Points drawn too: a bucket alone between empty ones is a dot, not an invisible line.
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, ...(s.dash ? { dash: s.dash } : {}), spanGaps: false, points: { show: true, size: 5 } }))],
      axes: [{}, { size: 60 }],
      legend: { live: false },
    };
    plot.current = new uPlot(options, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the lines change; data goes through setData below.
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
