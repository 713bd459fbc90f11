/** The progress bar under the model list: downloads, file reads, the GPU upload, shader compilation. */
export class LoadProgress {
  private readonly bar: HTMLProgressElement;
  private readonly label: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.bar = root.querySelector('progress')!;
    this.label = root.querySelector('[data-role="label"]')!;
  }

  /** `fraction` null: under way, size unknown. */
  show(what: string, fraction: number | null, detail = ''): void {
    this.root.hidden = false;
    if (fraction === null) this.bar.removeAttribute('value');
    else this.bar.value = Math.min(1, Math.max(0, fraction));
    this.label.textContent = detail ? `${what} · ${detail}` : what;
  }

  hide(): void {
    this.root.hidden = true;
  }
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}
