import type { TreeLevel } from '../backtrack/tree.ts';
import { nodeCoordinates } from '../backtrack/tree.ts';
import { formatShape } from '../model/shapes.ts';
import { ExplorerView, type ExplorerTree, type Selection } from './explorer-view.ts';
import type { ColorBy } from './node-colors.ts';
import type { NodeRef } from './tree-index.ts';

/** Reads one activation (CHW values) of the forward pass the tree came from; null when it has been overwritten. */
export type ActivationReader = (tensor: string) => Promise<Float32Array | null>;

/**
 * The 3D explorer's panel: the view, its toolbar (node count, colouring, play, layer filter, selection), and the hover
 * tooltip. The view is built lazily: a tree that arrives while the panel is hidden is drawn when it is shown.
 */
export class ExplorerPanel {
  private view: ExplorerView | null = null;
  private pending: ExplorerTree | null = null;
  private visible = false;
  private readActivation: ActivationReader | null = null;
  private hoverToken = 0;
  private readonly elements: {
    viewport: HTMLElement;
    nodeCount: HTMLElement;
    selection: HTMLElement;
    tooltip: HTMLElement;
    filter: HTMLElement;
    play: HTMLButtonElement;
    colorBy: HTMLSelectElement;
    message: HTMLElement;
    empty: HTMLElement;
  };

  constructor(root: HTMLElement) {
    const find = <T extends HTMLElement>(id: string) => root.querySelector<T>(`[data-role="${id}"]`)!;
    this.elements = {
      viewport: find('viewport'),
      nodeCount: find('node-count'),
      selection: find('selection'),
      tooltip: find('tooltip'),
      filter: find('filter'),
      play: find<HTMLButtonElement>('play'),
      colorBy: find<HTMLSelectElement>('color-by'),
      message: find('message'),
      empty: find('empty'),
    };
    this.elements.play.addEventListener('click', () => {
      if (!this.view) return;
      if (this.view.isPlaying) this.view.stop();
      else this.view.play();
      this.updatePlayButton();
    });
    this.elements.colorBy.addEventListener('change', () => this.view?.setColorBy(this.elements.colorBy.value as ColorBy));
    find('reset').addEventListener('click', () => this.view?.frame());
    find('clear').addEventListener('click', () => this.select(null));
    find('filter-all').addEventListener('click', () => this.setAllLevels(true));
    find('filter-none').addEventListener('click', () => this.setAllLevels(false));
    find('save').addEventListener('click', () => {
      if (!this.view) return;
      this.view.draw();
      this.view.renderer.domElement.toBlob((blob) => blob && this.onSave?.(blob));
    });
  }

  /** Where "Save PNG" hands the picture (the page names and saves it). */
  onSave: ((png: Blob) => void) | null = null;

  /** Shows a new tree (new photo, class or rule). */
  setTree(tree: ExplorerTree, readActivation: ActivationReader): void {
    this.readActivation = readActivation;
    this.pending = tree;
    this.elements.nodeCount.textContent = String(tree.levels.reduce((sum, l) => sum + l.nodes.length, 0));
    this.elements.empty.hidden = true;
    if (this.visible) this.flush();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.flush();
  }

  /** The view, created on first use (tests reach it through the page's hooks). */
  get explorer(): ExplorerView | null {
    return this.view;
  }

  select(ref: NodeRef | null): Selection | null {
    const selection = this.view?.select(ref) ?? null;
    this.showSelection(selection);
    return selection;
  }

  private flush(): void {
    if (!this.pending) return;
    const view = this.ensureView();
    if (!view) return;
    const tree = this.pending;
    this.pending = null;
    const before = view.levelsShown;
    view.setTree(tree);
    this.buildFilter(tree.levels, before.length === tree.levels.length ? before : null);
    this.showSelection(null);
  }

  private ensureView(): ExplorerView | null {
    if (this.view) return this.view;
    try {
      this.view = new ExplorerView(this.elements.viewport);
    } catch (error) {
      this.elements.message.hidden = false;
      this.elements.message.textContent =
        `The 3D explorer needs WebGL 2, which this browser did not give (${(error as Error).message}). ` +
        'Turn on hardware acceleration in the browser settings, or use Chrome, Edge, Firefox or Safari.';
      return null;
    }
    const canvas = this.view.renderer.domElement;
    this.view.onFrame = () => this.updatePlayButton();
    // Picking scans every node: at most once per frame, with the latest pointer position.
    let latest: PointerEvent | null = null;
    canvas.addEventListener('pointermove', (event) => {
      if (latest === null) requestAnimationFrame(() => {
        const event = latest!;
        latest = null;
        void this.hover(event);
      });
      latest = event;
    });
    canvas.addEventListener('pointerleave', () => this.hideTooltip());
    // A click selects; a drag (orbit, pan) does not.
    let down: { x: number; y: number } | null = null;
    canvas.addEventListener('pointerdown', (event) => (down = { x: event.clientX, y: event.clientY }));
    canvas.addEventListener('pointerup', (event) => {
      if (!down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > 4) return;
      this.select(this.view!.pick(event.clientX, event.clientY));
    });
    return this.view;
  }

  private setAllLevels(shown: boolean): void {
    if (!this.view?.tree) return;
    const levels = this.view.tree.levels.map(() => shown);
    this.view.setLevelsShown(levels);
    this.elements.filter.querySelectorAll<HTMLInputElement>('input[type=checkbox]').forEach((box) => (box.checked = shown));
  }

  private buildFilter(levels: readonly TreeLevel[], shown: boolean[] | null): void {
    const list = this.elements.filter;
    list.replaceChildren();
    levels.forEach((level, l) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = shown?.[l] ?? true;
      box.dataset.level = String(l);
      box.addEventListener('change', () => {
        const now = [...list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].map((b) => b.checked);
        this.view?.setLevelsShown(now);
      });
      label.append(box, ` ${level.name}`);
      const count = document.createElement('span');
      count.className = 'muted';
      count.textContent = ` ${level.nodes.length}`;
      label.append(count);
      list.append(label);
    });
    if (shown) this.view?.setLevelsShown(shown);
  }

  private showSelection(selection: Selection | null): void {
    const out = this.elements.selection;
    if (!selection || !this.view?.tree) {
      out.textContent = 'Click a node to follow its path to the class and everything it selected below.';
      out.dataset.pathLength = '0';
      return;
    }
    const level = this.view.tree.levels[selection.node.level];
    out.dataset.pathLength = String(selection.pathLength);
    out.dataset.descendants = String(selection.descendants);
    out.replaceChildren(
      'Path to the class: ',
      strong(String(selection.pathLength), 'explorer-path-count'),
      ` nodes from ${level.name} · `,
      strong(String(selection.descendants), 'explorer-descendant-count'),
      ` descendants, ${selection.inputDescendants} of them input pixels`,
    );
  }

  private async hover(event: PointerEvent): Promise<void> {
    if (!this.view || event.buttons !== 0) return;
    const ref = this.view.pick(event.clientX, event.clientY);
    const token = ++this.hoverToken;
    if (!ref || !this.view.tree) {
      this.hideTooltip();
      return;
    }
    const level = this.view.tree.levels[ref.level];
    const node = level.nodes[ref.index];
    const { channel, y, x } = nodeCoordinates(node, level.shape);
    const tooltip = this.elements.tooltip;
    const bounds = this.elements.viewport.getBoundingClientRect();
    tooltip.hidden = false;
    tooltip.style.left = `${event.clientX - bounds.left + 14}px`;
    tooltip.style.top = `${event.clientY - bounds.top + 14}px`;
    const where = level.shape.height * level.shape.width > 1 ? `channel ${channel}, y ${y}, x ${x}` : `unit ${channel}`;
    const lines = [
      `${level.name} (${formatShape(level.shape)})`,
      where,
      `parents ${level.parentCounts[ref.index]}, children ${level.childCounts[ref.index]}`,
      'activation …',
    ];
    tooltip.textContent = lines.join('\n');
    const values = await this.readActivation?.(level.name);
    if (token !== this.hoverToken) return;
    lines[3] = values ? `activation ${formatActivation(values[node])}` : 'activation: run the photo again to read it';
    tooltip.textContent = lines.join('\n');
  }

  private hideTooltip(): void {
    this.hoverToken++;
    this.elements.tooltip.hidden = true;
  }

  private updatePlayButton(): void {
    this.elements.play.textContent = this.view?.isPlaying ? '■ Stop' : '▶ Play backtracking';
  }
}

function strong(text: string, testId: string): HTMLElement {
  const element = document.createElement('strong');
  element.textContent = text;
  element.dataset.testid = testId;
  return element;
}

function formatActivation(value: number | undefined): string {
  if (value === undefined) return '—';
  return Math.abs(value) >= 1000 || (Math.abs(value) < 0.01 && value !== 0) ? value.toExponential(3) : value.toFixed(4);
}
