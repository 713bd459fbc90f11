import type { ExplorerPanel } from '../explorer/explorer-panel.ts';
import type { CompareMaps, DeletionCurves, ExplainSession } from './explain-session.ts';

/** What the hooks read of the page's app (the DemoApp), stated here so the app and its hooks do not import each other. */
export interface HookedApp {
  readonly internals: { session: ExplainSession | null; explorer: ExplorerPanel; compared: { maps: CompareMaps | null; curves: DeletionCurves | null } };
}

/**
 * What the headless browser tests read off the page: the latest results as plain data (`window.__fixations`) and a
 * few handles on the live objects (`window.__demo`). Nothing on the page depends on them.
 */
export interface PublishedResult {
  photo: string;
  model: string;
  rule: string;
  target: number;
  predictions: { classIndex: number; label: string; probability: number }[];
  fixations: [number, number][];
  fixationsInImage: [number, number][];
  layers: { name: string; count: number }[];
  nodeCount: number;
  keptFixations: number;
  threshold: number;
  generation: number;
  counts: { forward: number; backtrack: number; maps: number };
  /** Size of the attention map shown (a preview while a slider moves) and how long it took. */
  mapsSize: [number, number];
  mapsMs: number;
  /** The compare view: per method its layer and map at the layer's resolution (or why none), and deletion curves. */
  compare: {
    target: number;
    methods: { method: string; layer: string | null; values: number[] | null; width: number; height: number; reason: string | null }[];
  } | null;
  deletion: { target: number; curves: { method: string; probabilities: number[]; auc: number }[] } | null;
  /** Increases with every published result, so a test can wait for the next one. */
  serial: number;
}

declare global {
  interface Window {
    __fixations?: PublishedResult;
    __demo?: DemoHooks;
  }
}

export interface DemoHooks {
  app: HookedApp;
  /** Client coordinates of a tree node in the explorer, or null when it is off screen or there is no tree. */
  nodeOnScreen(level: number, index: number): { x: number; y: number } | null;
}

let serial = 0;

export function publishHooks(app: HookedApp): void {
  window.__demo = {
    app,
    nodeOnScreen: (level, index) => app.internals.explorer.explorer?.screenPositionOf({ level, index }) ?? null,
  };
}

export function publishResult(app: HookedApp): void {
  const { session, compared } = app.internals;
  const e = session?.explanation;
  if (!session || !e || !session.forwardPhoto || !session.model) return;
  window.__fixations = {
    photo: session.forwardPhoto.name,
    model: session.model.name,
    rule: e.rule,
    target: e.target.classIndex,
    predictions: e.predictions.map((p) => ({ ...p })),
    fixations: e.fixations,
    fixationsInImage: e.fixationsInImage,
    layers: e.layers.map((l) => ({ name: l.name, count: l.nodes.length })),
    nodeCount: e.layers.reduce((sum, l) => sum + l.nodes.length, 0),
    keptFixations: session.maps?.kept.length ?? 0,
    threshold: session.maps?.threshold ?? 0,
    generation: e.generation,
    counts: { ...session.counts },
    mapsSize: [session.maps?.width ?? 0, session.maps?.height ?? 0],
    mapsMs: session.lastMapsMs,
    compare: compared.maps && {
      target: compared.maps.target,
      methods: compared.maps.entries.map((m) => ({
        method: m.method,
        layer: m.layerMap?.tensor ?? null,
        values: m.layerMap ? Array.from(m.layerMap.values) : null,
        width: m.layerMap?.width ?? m.width,
        height: m.layerMap?.height ?? m.height,
        reason: m.reason ?? null,
      })),
    },
    deletion: compared.curves && { target: compared.curves.target, curves: compared.curves.curves.map((c) => ({ ...c })) },
    serial: ++serial,
  };
}
