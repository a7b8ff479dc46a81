/** Summarises a V8 `.cpuprofile` (node --cpu-prof): self time per function, top first. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  readonly share: number;
}

function shortLocation(url: string, line: number, root: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  // The bench's compiled copy of src/ (bench/.lib-XXXXXX/…): shown as src/…, line of the compiled JS.
  const shown = (path.startsWith(root) ? relative(root, path) : path.replace(/^.*node_modules\//, 'node_modules/')).replace(/^bench\/\.lib-[^/]+\//, 'src/');
  return `${shown}:${line + 1}`;
}

/**
 * Self time by function (name + location), from the sample timeline. Samples taken inside a
 * frame whose URL contains one of `excludeUrls` (the bench's own assertion signing) are left out,
 * so the shares are shares of the handler's time; idle and GC samples are kept (GC is a cost).
 */
export function selfTimes(
  file: string,
  root: string,
  options: { readonly excludeUrls?: readonly string[]; readonly windowMicros?: readonly [number, number] } = {},
): { readonly totalMs: number; readonly excludedMs: number; readonly functions: readonly SelfTime[] } {
  const excludeUrls = options.excludeUrls ?? ['/bench/lib/'];
  const [windowStart, windowEnd] = options.windowMicros ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const excludedCache = new Map<number, boolean>();
  const isExcluded = (id: number): boolean => {
    const cached = excludedCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    const parent = parentOf.get(id);
    const value = node !== undefined && (excludeUrls.some((part) => node.callFrame.url.includes(part)) || (parent !== undefined && isExcluded(parent)));
    excludedCache.set(id, value);
    return value;
  };
  const totals = new Map<string, { name: string; location: string; micros: number }>();
  let total = 0;
  let excluded = 0;
  // Sample timestamps are V8 TimeTicks (CLOCK_MONOTONIC µs), the clock of process.hrtime().
  let timestamp = profile.startTime;
  profile.samples.forEach((id, index) => {
    timestamp += profile.timeDeltas[index] ?? 0;
    const delta = profile.timeDeltas[index + 1] ?? 0;
    const node = byId.get(id);
    if (!node || timestamp < windowStart || timestamp > windowEnd) return;
    if (isExcluded(id)) {
      excluded += delta;
      return;
    }
    total += delta;
    const name = node.callFrame.functionName || '(anonymous)';
    const location = shortLocation(node.callFrame.url, node.callFrame.lineNumber, root);
    const key = `${name}@${location}`;
    const entry = totals.get(key) ?? { name, location, micros: 0 };
    entry.micros += delta;
    totals.set(key, entry);
  });
  const functions = [...totals.values()]
    .sort((a, b) => b.micros - a.micros)
    .map((entry) => ({ name: entry.name, location: entry.location, selfMs: entry.micros / 1000, share: total === 0 ? 0 : entry.micros / total }));
  return { totalMs: total / 1000, excludedMs: excluded / 1000, functions };
}
