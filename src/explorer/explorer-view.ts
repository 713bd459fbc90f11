import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { TreeLevel } from '../backtrack/tree.ts';
import { formatShape } from '../model/shapes.ts';
import { layoutTree, type Slab, type TreeLayout } from './layout.ts';
import { nodeColors, type ColorBy } from './node-colors.ts';
import { TreeIndex, type NodeRef } from './tree-index.ts';
import nodesVertex from './shaders/nodes.vert.glsl?raw';
import nodesFragment from './shaders/nodes.frag.glsl?raw';
import edgesVertex from './shaders/edges.vert.glsl?raw';
import edgesFragment from './shaders/edges.frag.glsl?raw';

/** What the explorer shows: the fixation tree, and the model input as the network saw it for the input slab. */
export interface ExplorerTree {
  levels: readonly TreeLevel[];
  /** The preprocessed photo at model-input size (letterbox included), or null. */
  inputImage: HTMLCanvasElement | null;
  /** Shown beside the class row. */
  targetLabel: string;
}

/** How many nodes the last click highlighted. */
export interface Selection {
  node: NodeRef;
  /** Nodes from the clicked one up to the class, both included. */
  pathLength: number;
  descendants: number;
  /** Of those, how many are input pixels (fixations reached through this node). */
  inputDescendants: number;
}

const background = 0x11151c;
/** Seconds each level takes to appear when playing the backtracking. */
const playSecondsPerLevel = 0.28;

/**
 * The fixation tree through the network in three.js: one slab per layer, every node one vertex of a single `Points`
 * draw, every parent edge one segment of a single `LineSegments` draw. Selection, the layer filter and the play
 * animation change only attributes and uniforms, never the geometry, so tens of thousands of nodes stay smooth; the
 * scene is drawn only when something changed (controls, hover, animation), not every frame.
 */
export class ExplorerView {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(40, 1, 0.05, 500);
  private readonly controls: OrbitControls;
  private readonly stack = new THREE.Group();
  private index: TreeIndex | null = null;
  private layout: TreeLayout | null = null;
  private points: THREE.Points<THREE.BufferGeometry, THREE.ShaderMaterial> | null = null;
  private edges: THREE.LineSegments<THREE.BufferGeometry, THREE.ShaderMaterial> | null = null;
  private slabObjects: THREE.Object3D[] = [];
  private levelShown: number[] = [];
  private colorBy: ColorBy = 'channel';
  private selection: Selection | null = null;
  private playStart: number | null = null;
  private renderQueued = false;
  /** Until the user moves the camera, resizing the view frames the stack again. */
  private userMovedCamera = false;
  private readonly resizeObserver: ResizeObserver;
  /** Called after each drawn frame (the panel updates its play button). */
  onFrame: (() => void) | null = null;

  constructor(private readonly container: HTMLElement) {
    // Multisampling is free on a GPU but triples the cost of a frame on a software rasterizer (SwiftShader).
    this.renderer = new THREE.WebGLRenderer({ antialias: !isSoftwareWebGl(), preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    this.renderer.setClearColor(background);
    this.renderer.domElement.dataset.testid = 'explorer-canvas';
    container.appendChild(this.renderer.domElement);
    this.scene.add(this.stack);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.screenSpacePanning = true;
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => (this.userMovedCamera = true));
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  get tree(): TreeIndex | null {
    return this.index;
  }

  get nodeCount(): number {
    return this.index?.nodeCount ?? 0;
  }

  get isPlaying(): boolean {
    return this.playStart !== null;
  }

  /** Replaces the tree; keeps the camera when the network is the same (a new photo, class or rule). */
  setTree(tree: ExplorerTree): void {
    const sameNetwork =
      this.index !== null &&
      this.index.levels.length === tree.levels.length &&
      this.index.levels.every((l, i) => l.name === tree.levels[i].name);
    this.clearTree();
    this.index = new TreeIndex(tree.levels);
    this.layout = layoutTree(tree.levels);
    if (!sameNetwork || this.levelShown.length !== tree.levels.length) this.levelShown = tree.levels.map(() => 1);
    this.selection = null;
    this.buildSlabs(this.layout.slabs, tree);
    this.buildNodes();
    if (!sameNetwork) this.frame();
    this.requestRender();
  }

  setColorBy(by: ColorBy): void {
    this.colorBy = by;
    if (!this.index || !this.points || !this.edges) return;
    const colors = nodeColors(this.index.levels, by);
    (this.points.geometry.getAttribute('nodeColor') as THREE.BufferAttribute).copyArray(colors).needsUpdate = true;
    const edgeColors = this.edges.geometry.getAttribute('edgeColor') as THREE.BufferAttribute;
    edgeColors.copyArray(this.edgeArrays(colors).colors).needsUpdate = true;
    this.requestRender();
  }

  /** Shows or hides layers (by level, 0 = the class). */
  setLevelsShown(shown: readonly boolean[]): void {
    this.levelShown = shown.map((s) => (s ? 1 : 0));
    this.slabObjects.forEach((object) => (object.visible = shown[object.userData.level as number] ?? true));
    for (const material of this.materials()) material.uniforms.levelShown.value = this.levelShown;
    this.requestRender();
  }

  get levelsShown(): boolean[] {
    return this.levelShown.map((s) => s > 0);
  }

  /** Highlights the node's path to the class and all its descendants, dims the rest; null clears. */
  select(ref: NodeRef | null): Selection | null {
    if (!this.index || !this.points || !this.edges) return null;
    const emphasis = new Float32Array(this.index.nodeCount);
    if (ref) {
      emphasis.fill(1);
      const path = this.index.pathToClass(ref);
      const descendants = this.index.descendants(ref);
      for (const node of descendants) emphasis[this.index.globalIndex(node)] = 3;
      for (const node of path) emphasis[this.index.globalIndex(node)] = 2;
      emphasis[this.index.globalIndex(ref)] = 4;
      const inputLevel = this.index.levels.length - 1;
      this.selection = {
        node: ref,
        pathLength: path.length,
        descendants: descendants.length,
        inputDescendants: ref.level === inputLevel ? 1 : descendants.filter((d) => d.level === inputLevel).length,
      };
    } else {
      this.selection = null;
    }
    (this.points.geometry.getAttribute('emphasis') as THREE.BufferAttribute).copyArray(emphasis).needsUpdate = true;
    const edgeEmphasis = this.edges.geometry.getAttribute('emphasis') as THREE.BufferAttribute;
    edgeEmphasis.copyArray(this.edgeArrays(null, emphasis).emphasis).needsUpdate = true;
    this.requestRender();
    return this.selection;
  }

  get selected(): Selection | null {
    return this.selection;
  }

  /** Plays the backtracking: layers appear one by one from the class down to the pixels. */
  play(): void {
    if (!this.index) return;
    this.playStart = performance.now();
    this.requestRender();
  }

  stop(): void {
    this.playStart = null;
    this.setReveal(Number.MAX_SAFE_INTEGER);
    this.requestRender();
  }

  /** The node nearest to a point on the screen (client pixels), within `radius` pixels; the nearest to the eye wins ties. */
  pick(clientX: number, clientY: number, radius = 9): NodeRef | null {
    if (!this.index || !this.layout) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    const matrix = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse);
    const m = matrix.elements;
    const positions = this.layout.positions;
    const reveal = this.currentReveal();
    let best = -1;
    let bestScore = Infinity;
    for (let l = 0; l < this.index.levels.length; l++) {
      if (!this.levelShown[l] || reveal - l <= 0) continue;
      for (let g = this.index.levelStart[l]; g < this.index.levelStart[l + 1]; g++) {
        const x = positions[g * 3];
        const y = positions[g * 3 + 1];
        const z = positions[g * 3 + 2];
        const w = m[3] * x + m[7] * y + m[11] * z + m[15];
        if (w <= 0) continue;
        const sx = rect.left + ((m[0] * x + m[4] * y + m[8] * z + m[12]) / w + 1) * 0.5 * rect.width;
        const sy = rect.top + (1 - ((m[1] * x + m[5] * y + m[9] * z + m[13]) / w + 1) * 0.5) * rect.height;
        const d2 = (sx - clientX) ** 2 + (sy - clientY) ** 2;
        if (d2 > radius * radius) continue;
        // Screen distance first; among nodes drawn at about the same spot, the nearest to the camera.
        const score = Math.round(d2) * 1e6 + w;
        if (score < bestScore) {
          bestScore = score;
          best = g;
        }
      }
    }
    return best < 0 ? null : this.index.refOf(best);
  }

  /** Where a node is drawn, in client pixels (tests click there). */
  screenPositionOf(ref: NodeRef): { x: number; y: number } | null {
    if (!this.index || !this.layout) return null;
    const g = this.index.globalIndex(ref);
    const p = new THREE.Vector3(this.layout.positions[g * 3], this.layout.positions[g * 3 + 1], this.layout.positions[g * 3 + 2]).project(this.camera);
    if (p.z > 1) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((p.x + 1) / 2) * rect.width, y: rect.top + ((1 - p.y) / 2) * rect.height };
  }

  /** Frames the whole stack, input slab to class row, labels included, from the front and a little above. */
  frame(): void {
    this.userMovedCamera = false;
    const slabs = this.layout?.slabs ?? [];
    const height = this.layout?.height ?? 10;
    const halfWidth = Math.max(4, ...slabs.map((s) => Math.abs(s.x) + s.width / 2));
    const halfDepth = Math.max(1, ...slabs.map((s) => s.depth / 2));
    // The labels stick out to the left of the slabs by about this much.
    const labels = 3;
    const target = new THREE.Vector3(-labels / 2, height * 0.45, 0);
    const radius = Math.hypot(halfWidth + labels / 2, height / 2, halfDepth);
    const vertical = THREE.MathUtils.degToRad(this.camera.fov / 2);
    const horizontal = Math.atan(Math.tan(vertical) * this.camera.aspect);
    const distance = radius / Math.sin(Math.min(vertical, horizontal));
    const direction = new THREE.Vector3(0.55, 0.6, 1).normalize();
    this.camera.position.copy(target).addScaledVector(direction, distance);
    this.camera.near = distance / 100;
    this.camera.far = distance * 10;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(target);
    this.controls.update();
    this.requestRender();
  }

  requestRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.draw();
    });
  }

  /** Draws now (tests read the canvas right after). */
  draw(): void {
    if (this.playStart !== null) {
      const reveal = this.currentReveal();
      this.setReveal(reveal);
      if (reveal >= (this.index?.levels.length ?? 0) + 1) this.playStart = null;
      else this.requestRender();
    }
    this.renderer.render(this.scene, this.camera);
    this.onFrame?.();
  }

  dispose(): void {
    this.clearTree();
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.renderer.dispose();
    this.renderer.domElement.remove();
  }

  private currentReveal(): number {
    if (this.playStart === null) return Number.MAX_SAFE_INTEGER;
    return (performance.now() - this.playStart) / 1000 / playSecondsPerLevel;
  }

  private setReveal(reveal: number): void {
    for (const material of this.materials()) material.uniforms.reveal.value = reveal;
    this.slabObjects.forEach((object) => {
      const level = object.userData.level as number;
      object.visible = Boolean(this.levelShown[level]) && reveal - level > 0;
    });
  }

  private materials(): THREE.ShaderMaterial[] {
    return [this.points?.material, this.edges?.material].filter((m): m is THREE.ShaderMaterial => m !== undefined);
  }

  private resize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, true);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    if (this.points) this.points.material.uniforms.viewportHeight.value = height * this.renderer.getPixelRatio();
    if (this.layout && !this.userMovedCamera) this.frame();
    this.requestRender();
  }

  private buildSlabs(slabs: Slab[], tree: ExplorerTree): void {
    const inputLevel = slabs.length - 1;
    for (const slab of slabs) {
      const group = new THREE.Group();
      group.userData.level = slab.level;
      const isInput = slab.level === inputLevel && tree.inputImage !== null;
      const plane = new THREE.Mesh(
        new THREE.PlaneGeometry(slab.width, slab.depth).rotateX(-Math.PI / 2),
        new THREE.MeshBasicMaterial({
          color: isInput ? 0xffffff : slab.isRow ? 0x3a4a66 : 0x2b3a52,
          map: isInput ? canvasTexture(tree.inputImage!) : null,
          transparent: !isInput,
          // Faint slabs, so the photo on the input slab shows through the stack above it.
          opacity: isInput ? 1 : 0.2,
          side: THREE.DoubleSide,
          depthWrite: false,
        }),
      );
      plane.position.set(slab.x, slab.y - (slab.isRow ? 0 : 0.17), 0);
      plane.renderOrder = -1;
      const outline = new THREE.LineSegments(
        new THREE.EdgesGeometry(new THREE.BoxGeometry(slab.width, 0.001, slab.depth)),
        new THREE.LineBasicMaterial({ color: 0x6f86ad, transparent: true, opacity: 0.7 }),
      );
      outline.position.copy(plane.position);
      const count = tree.levels[slab.level].nodes.length;
      const text = slab.level === 0 ? `${slab.name} · ${tree.targetLabel}` : `${slab.name} ${formatShape(slab.shape)} · ${count}`;
      const label = textSprite(text, slab.level === 0 ? '#ffe27a' : '#c9d6ea');
      label.position.set(slab.x - slab.width / 2 - 0.25, slab.y, slab.depth / 2);
      group.add(plane, outline, label);
      this.stack.add(group);
      this.slabObjects.push(group);
    }
  }

  private buildNodes(): void {
    const index = this.index!;
    const layout = this.layout!;
    const count = index.nodeCount;
    const colors = nodeColors(index.levels, this.colorBy);
    const levels = new Float32Array(count);
    index.levels.forEach((_, l) => levels.fill(l, index.levelStart[l], index.levelStart[l + 1]));
    const defines = { LEVEL_COUNT: Math.max(2, index.levels.length) };
    const uniforms = () => ({
      levelShown: { value: this.levelShown },
      reveal: { value: this.playStart === null ? Number.MAX_SAFE_INTEGER : 0 },
    });

    const pointGeometry = new THREE.BufferGeometry();
    pointGeometry.setAttribute('position', new THREE.BufferAttribute(layout.positions, 3));
    pointGeometry.setAttribute('nodeColor', new THREE.BufferAttribute(colors, 3));
    pointGeometry.setAttribute('level', new THREE.BufferAttribute(levels, 1));
    pointGeometry.setAttribute('emphasis', new THREE.BufferAttribute(new Float32Array(count), 1));
    const pointMaterial = new THREE.ShaderMaterial({
      vertexShader: nodesVertex,
      fragmentShader: nodesFragment,
      defines,
      uniforms: {
        ...uniforms(),
        pointSize: { value: 0.085 },
        viewportHeight: { value: this.container.clientHeight * this.renderer.getPixelRatio() },
      },
      transparent: true,
      depthWrite: false,
    });
    this.points = new THREE.Points(pointGeometry, pointMaterial);
    this.points.frustumCulled = false;

    const edge = this.edgeArrays(colors, new Float32Array(count));
    const edgeGeometry = new THREE.BufferGeometry();
    edgeGeometry.setAttribute('position', new THREE.BufferAttribute(edge.positions, 3));
    edgeGeometry.setAttribute('edgeColor', new THREE.BufferAttribute(edge.colors, 3));
    edgeGeometry.setAttribute('level', new THREE.BufferAttribute(edge.levels, 1));
    edgeGeometry.setAttribute('emphasis', new THREE.BufferAttribute(edge.emphasis, 1));
    const edgeMaterial = new THREE.ShaderMaterial({
      vertexShader: edgesVertex,
      fragmentShader: edgesFragment,
      defines,
      uniforms: { ...uniforms(), baseAlpha: { value: count > 20000 ? 0.12 : count > 4000 ? 0.22 : 0.4 } },
      transparent: true,
      depthWrite: false,
    });
    this.edges = new THREE.LineSegments(edgeGeometry, edgeMaterial);
    this.edges.frustumCulled = false;
    this.stack.add(this.edges, this.points);
  }

  /**
   * Per edge (every node below the class to its parent), two vertices: positions and colours of the node and of its
   * parent, the node's level and emphasis on both. Only the arrays asked for are filled.
   */
  private edgeArrays(colors: Float32Array | null, emphasis: Float32Array | null = null) {
    const index = this.index!;
    const positions = this.layout!.positions;
    const first = index.levelStart[1] ?? index.nodeCount;
    const edges = index.nodeCount - first;
    const out = {
      positions: new Float32Array(edges * 6),
      colors: new Float32Array(colors ? edges * 6 : 0),
      levels: new Float32Array(edges * 2),
      emphasis: new Float32Array(edges * 2),
    };
    let e = 0;
    for (let l = 1; l < index.levels.length; l++) {
      const parents = index.parentIndex[l];
      for (let i = 0; i < parents.length; i++, e++) {
        const child = index.levelStart[l] + i;
        const parent = index.levelStart[index.parentLevel[l][i]] + parents[i];
        out.positions.set(positions.subarray(child * 3, child * 3 + 3), e * 6);
        out.positions.set(positions.subarray(parent * 3, parent * 3 + 3), e * 6 + 3);
        if (colors) {
          out.colors.set(colors.subarray(child * 3, child * 3 + 3), e * 6);
          out.colors.set(colors.subarray(parent * 3, parent * 3 + 3), e * 6 + 3);
        }
        out.levels[e * 2] = out.levels[e * 2 + 1] = l;
        if (emphasis) out.emphasis[e * 2] = out.emphasis[e * 2 + 1] = emphasis[child];
      }
    }
    return out;
  }

  private clearTree(): void {
    this.stack.traverse((object) => {
      const withGeometry = object as THREE.Object3D & { geometry?: THREE.BufferGeometry; material?: THREE.Material | THREE.Material[] };
      withGeometry.geometry?.dispose();
      const materials = Array.isArray(withGeometry.material) ? withGeometry.material : withGeometry.material ? [withGeometry.material] : [];
      for (const material of materials) {
        (material as THREE.MeshBasicMaterial | THREE.SpriteMaterial).map?.dispose();
        material.dispose();
      }
    });
    this.stack.clear();
    this.slabObjects = [];
    this.points = null;
    this.edges = null;
    this.index = null;
    this.layout = null;
  }
}

/** WebGL on a CPU rasterizer rather than a GPU, by the renderer the browser reports. */
function isSoftwareWebGl(): boolean {
  const probe = document.createElement('canvas').getContext('webgl2');
  if (!probe) return false;
  const info = probe.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER));
  probe.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

function canvasTexture(canvas: HTMLCanvasElement): THREE.Texture {
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  // Model-input pixels: keep them crisp, as the nodes sit on exact pixels.
  texture.magFilter = THREE.NearestFilter;
  return texture;
}

/** A layer label as a sprite: always faces the camera, scales with the scene, right-aligned to its anchor. */
function textSprite(text: string, color: string): THREE.Sprite {
  const font = 28;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d')!;
  context.font = `${font}px system-ui, sans-serif`;
  canvas.width = Math.ceil(context.measureText(text).width) + 12;
  canvas.height = font + 12;
  context.font = `${font}px system-ui, sans-serif`;
  context.fillStyle = color;
  context.textBaseline = 'middle';
  context.fillText(text, 6, canvas.height / 2);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: texture, transparent: true, depthWrite: false }));
  const height = 0.42;
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
  sprite.center.set(1, 0.5);
  return sprite;
}
